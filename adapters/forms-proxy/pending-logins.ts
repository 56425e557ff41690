/**
 * Held logins in the store. Each moves through one state machine, every step a conditional
 * UPDATE so that two requests (or two hosts sharing the store) cannot both take it:
 * held → challenging (the challenge began) → verified (second factor done) → released (the
 * app's reply went to the browser, once), or denied. A row past `expires_at` moves no more.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/sdk/adapter.js';
import type { AdapterSecrets } from '../../src/sdk/adapter.js';
import { decodeHeld, encodeHeld, type HeldLogin } from './held-login.js';

export interface PendingTable {
  id: string;
  app: string;
  username: string;
  user_id: string | null;
  bind_hash: string;
  held_kind: string;
  held_enc: string;
  state: string;
  challenge_id: string | null;
  release_hash: string | null;
  methods: string | null;
  multi_factor: number;
  created_at: number;
  expires_at: number;
  verified_at: number | null;
  released_at: number | null;
}

export interface AppSessionTable {
  id: string;
  app: string;
  user_id: string;
  methods: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface FormsProxyTables {
  forms_proxy_pending: PendingTable;
  forms_proxy_sessions: AppSessionTable;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A 256-bit random token, URL- and cookie-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface PendingLogin {
  id: string;
  app: string;
  username: string;
  userId: string | null;
  state: string;
  expiresAt: number;
}

/** The secret-box context of a held login (its row id binds it to that row). */
export function heldLoginContext(id: string): string {
  return `forms-proxy:held:${id}`;
}

export class PendingLogins {
  readonly #db: Kysely<FormsProxyTables>;
  readonly #secrets: AdapterSecrets;
  readonly #clock: Clock;

  constructor(db: Kysely<FormsProxyTables>, secrets: AdapterSecrets, clock: Clock) {
    this.#db = db;
    this.#secrets = secrets;
    this.#clock = clock;
  }

  #context(id: string): string {
    return heldLoginContext(id);
  }

  async create(input: { app: string; username: string; userId: string | null; bindToken: string; held: HeldLogin; ttlMs: number }): Promise<string> {
    const id = randomBytes(16).toString('base64url');
    const now = this.#clock.now();
    await this.#db
      .insertInto('forms_proxy_pending')
      .values({
        id,
        app: input.app,
        username: input.username,
        user_id: input.userId,
        bind_hash: sha256(input.bindToken),
        held_kind: input.held.kind,
        held_enc: this.#secrets.encrypt(encodeHeld(input.held), this.#context(id)),
        state: 'held',
        challenge_id: null,
        release_hash: null,
        methods: null,
        multi_factor: 0,
        created_at: now,
        expires_at: now + input.ttlMs,
        verified_at: null,
        released_at: null,
      })
      .execute();
    return id;
  }

  /** held → challenging; null when the row is unknown, expired or already taken. */
  async beginChallenge(id: string): Promise<PendingLogin | null> {
    const row = await this.#db
      .updateTable('forms_proxy_pending')
      .set({ state: 'challenging' })
      .where('id', '=', id)
      .where('state', '=', 'held')
      .where('expires_at', '>', this.#clock.now())
      .returning(['id', 'app', 'username', 'user_id', 'state', 'expires_at'])
      .executeTakeFirst();
    return row ? { id: row.id, app: row.app, username: row.username, userId: row.user_id, state: row.state, expiresAt: row.expires_at } : null;
  }

  async setChallenge(id: string, challengeId: string, userId: string): Promise<void> {
    await this.#db.updateTable('forms_proxy_pending').set({ challenge_id: challengeId, user_id: userId }).where('id', '=', id).execute();
  }

  /**
   * challenging → verified for the challenge that ended; returns the one-time release token,
   * or null when the row expired, belongs to another challenge, or was already verified.
   */
  async verify(id: string, challengeId: string, input: { methods: string[]; multiFactor: boolean }): Promise<string | null> {
    const token = newToken();
    const now = this.#clock.now();
    const res = await this.#db
      .updateTable('forms_proxy_pending')
      .set({ state: 'verified', release_hash: sha256(token), methods: JSON.stringify(input.methods), multi_factor: input.multiFactor ? 1 : 0, verified_at: now })
      .where('id', '=', id)
      .where('challenge_id', '=', challengeId)
      .where('state', '=', 'challenging')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return res.numUpdatedRows === 1n ? token : null;
  }

  async deny(id: string): Promise<void> {
    await this.#db
      .updateTable('forms_proxy_pending')
      .set({ state: 'denied', held_enc: '' })
      .where('id', '=', id)
      .where('state', 'in', ['held', 'challenging', 'verified'])
      .execute();
  }

  /**
   * verified → released, once: the release token and the browser-binding cookie must both
   * match. The ciphertext is wiped by the winning UPDATE, so nothing is left to release twice.
   */
  async release(app: string, releaseToken: string, bindToken: string): Promise<{ held: HeldLogin; userId: string; username: string; methods: string[] } | null> {
    const now = this.#clock.now();
    const row = await this.#db
      .selectFrom('forms_proxy_pending')
      .select(['id', 'user_id', 'username', 'methods', 'held_enc'])
      .where('app', '=', app)
      .where('release_hash', '=', sha256(releaseToken))
      .where('bind_hash', '=', sha256(bindToken))
      .where('state', '=', 'verified')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row || !row.user_id) return null;
    // Only one of two racing releases changes the row; the loser gets nothing.
    const res = await this.#db
      .updateTable('forms_proxy_pending')
      .set({ state: 'released', released_at: now, held_enc: '' })
      .where('id', '=', row.id)
      .where('state', '=', 'verified')
      .executeTakeFirst();
    if (res.numUpdatedRows !== 1n) return null;
    const held = decodeHeld(this.#secrets.decryptText(row.held_enc, this.#context(row.id)));
    return { held, userId: row.user_id, username: row.username, methods: JSON.parse(row.methods ?? '[]') as string[] };
  }
}
