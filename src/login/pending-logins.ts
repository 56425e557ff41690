/**
 * Sign-ins an adapter started and handed to `/login` (`host.login.begin`). The continuation is
 * encrypted; the row is bound to the browser that started it and expires with the challenge TTL.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database, PendingLoginsTable } from '../store/schema.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared-query.js';
import type { SecretBox } from '../store/secret-box.js';
import type { Clock } from '../kit/clock.js';
import type { CookiePolicy } from '../http/cookies.js';
import type { BeginChallengeInput, EnrolmentPolicy } from '../api/host-api.js';

const COOKIE = 'fg_login';

export interface PendingLogin {
  id: string;
  adapter: string;
  continuation: unknown;
  relyingParty: string | undefined;
  enrolmentPolicy: EnrolmentPolicy | undefined;
  stepUp: boolean;
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');

/** The secret-box context of a pending login's continuation. */
export function loginContext(id: string): string {
  return `login:${id}`;
}

export class PendingLogins {
  // Each sign-in through /login inserts, reads twice and deletes one row: compiled once (prepared-query.ts).
  readonly #insert: PreparedQuery<PendingLoginsTable, unknown>;
  readonly #byId: PreparedQuery<{ id: string }, PendingLoginsTable>;
  readonly #delete: PreparedQuery<{ id: string }, unknown>;

  constructor(
    db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    private readonly cookies: CookiePolicy,
    private readonly ttlMs: number,
  ) {
    this.#insert = prepareQuery(db, (q, p) =>
      q.insertInto('pending_logins').values({
        id: p('id'),
        adapter: p('adapter'),
        browser_hash: p('browser_hash'),
        continuation_enc: p('continuation_enc'),
        relying_party: p('relying_party'),
        enrolment_policy: p('enrolment_policy'),
        step_up: p('step_up'),
        created_at: p('created_at'),
        expires_at: p('expires_at'),
      }),
    );
    this.#byId = prepareQuery(db, (q, p) => q.selectFrom('pending_logins').selectAll().where('id', '=', p('id')));
    this.#delete = prepareQuery(db, (q, p) => q.deleteFrom('pending_logins').where('id', '=', p('id')));
  }

  async create(input: Omit<BeginChallengeInput, 'user'>): Promise<string> {
    let binding = this.cookies.read(input.req, COOKIE);
    if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) {
      binding = randomBytes(32).toString('base64url');
      this.cookies.set(input.res, COOKIE, binding);
    }
    const id = randomBytes(16).toString('base64url');
    const now = this.clock.now();
    await this.#insert.run({
      id,
      adapter: input.adapter,
      browser_hash: sha256(binding),
      continuation_enc: this.secrets.encrypt(JSON.stringify(input.continuation ?? null), loginContext(id)),
      relying_party: input.relyingParty ?? null,
      enrolment_policy: input.enrolmentPolicy ?? null,
      step_up: input.stepUp ? 1 : null,
      created_at: now,
      expires_at: now + this.ttlMs,
    });
    return `/login?l=${id}`;
  }

  /** The pending login of this browser with this id, or null (unknown, expired, other browser). */
  async find(req: Request, id: string): Promise<PendingLogin | null> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return null;
    const binding = this.cookies.read(req, COOKIE);
    if (!binding) return null;
    const row = (await this.#byId.run({ id })).rows[0];
    if (!row || row.expires_at <= this.clock.now() || row.browser_hash !== sha256(binding)) return null;
    return {
      id,
      adapter: row.adapter,
      continuation: JSON.parse(this.secrets.decryptText(row.continuation_enc, loginContext(id))) as unknown,
      relyingParty: row.relying_party ?? undefined,
      enrolmentPolicy: (row.enrolment_policy as EnrolmentPolicy | null) ?? undefined,
      stepUp: row.step_up === 1,
    };
  }

  /** Single use: true only for the caller that removed it. */
  async consume(id: string): Promise<boolean> {
    const r = await this.#delete.run({ id });
    return Number(r.numAffectedRows) === 1;
  }

  clearCookie(res: Response): void {
    this.cookies.clear(res, COOKIE);
  }
}
