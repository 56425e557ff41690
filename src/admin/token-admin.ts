/**
 * Hardware-token stock for admins (issue 18): list, assign to a user, take back. The same
 * TokenRepository the CLI uses does the work; this adds the reason and the `admin-action`
 * audit record naming the admin, and turns the repository's refusals into domain errors.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AuditApi } from '../api/host-api.js';
import { FactorgateError } from '../kit/errors.js';
import { TokenError, type TokenRepository, type TokenSummary } from '../tokens/token-repository.js';
import { toUserRecord } from '../users/user-repository.js';
import { checkReason, type AdminActor } from './user-admin.js';

export interface TokenView {
  serial: string;
  kind: 'hotp' | 'totp';
  digits: number;
  period: number;
  manufacturer: string | null;
  model: string | null;
  username: string | null;
  disabled: boolean;
  lastUsedAt: string | null;
}

function view(t: TokenSummary): TokenView {
  return {
    serial: t.serial,
    kind: t.kind,
    digits: t.digits,
    period: t.period,
    manufacturer: t.manufacturer,
    model: t.model,
    username: t.username,
    disabled: t.disabled,
    lastUsedAt: t.lastUsedAt === null ? null : new Date(Number(t.lastUsedAt)).toISOString(),
  };
}

/** The repository's refusals, as the errors every caller maps to a status. */
function asDomainError(err: unknown): unknown {
  if (!(err instanceof TokenError)) return err;
  if (err.code === 'TOKEN_NOT_FOUND' || err.code === 'USER_NOT_FOUND') return new FactorgateError('NOT_FOUND', { detail: err.message, publicDetail: err.message, cause: err });
  if (err.code === 'TOKEN_ASSIGNED') return new FactorgateError('BAD_REQUEST', { status: 409, detail: err.message, publicDetail: err.message, cause: err });
  return new FactorgateError('BAD_REQUEST', { detail: err.message, publicDetail: err.message, cause: err });
}

export class TokenAdmin {
  constructor(
    private readonly deps: { db: Kysely<Database>; tokens: TokenRepository; audit: AuditApi },
  ) {}

  async list(filter: { state?: 'assigned' | 'unassigned' | undefined; username?: string | undefined }): Promise<TokenView[]> {
    const all = await this.deps.tokens.list(filter.username !== undefined ? { username: filter.username } : {});
    return all.filter((t) => filter.state === undefined || (filter.state === 'assigned') === (t.userId !== null)).map(view);
  }

  async #auditFor(username: string | null, actor: AdminActor, action: 'assign-token' | 'unassign-token', reason: string, serial: string): Promise<void> {
    const row = username === null ? undefined : await this.deps.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    await this.deps.audit.record({
      event: 'admin-action',
      result: 'success',
      ...(row ? { user: toUserRecord(row) } : username !== null ? { username } : {}),
      deviceToken: serial,
      detail: JSON.stringify({ action, admin: actor.name, reason, serial }),
    });
  }

  async assign(serial: string, user: string, actor: AdminActor, reason: string | undefined): Promise<{ username: string }> {
    const why = checkReason(reason);
    const done = await this.deps.tokens.assign(serial, user).catch((err: unknown) => {
      throw asDomainError(err);
    });
    await this.#auditFor(done.username, actor, 'assign-token', why, serial);
    return { username: done.username };
  }

  /** Takes the token back into stock; `username` is whom it was taken from (null: it was in stock). */
  async unassign(serial: string, actor: AdminActor, reason: string | undefined): Promise<{ username: string | null }> {
    const why = checkReason(reason);
    const from = await this.deps.tokens.unassign(serial).catch((err: unknown) => {
      throw asDomainError(err);
    });
    await this.#auditFor(from, actor, 'unassign-token', why, serial);
    return { username: from };
  }
}
