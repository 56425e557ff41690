/**
 * Admin API tokens (issue 18): `fgat_` and 43 base64url characters (256 random bits), shown
 * once at creation. The store keeps HMAC-SHA256(token) under a key derived from the pinned
 * derivation root (SecretBox.deriveKey), so a stolen copy of the table is useless without the
 * key ring, and rotating or retiring a ring key does not invalidate the tokens. A slow password
 * hash buys nothing for 256-bit random secrets and would cost every API call a hash; the HMAC is
 * the lookup key itself (unique column), so no token is compared byte by byte in JavaScript.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, AdminApiTokensTable } from '../store/schema.js';
import type { Clock } from '../kit/clock.js';
import { FactorgateError } from '../kit/errors.js';
import { isConsoleRole, type ConsoleRole } from './console/admin-roles.js';

export const API_TOKEN_PREFIX = 'fgat_';
/** The purpose string of the HMAC key (`SecretBox.deriveKey`). */
export const API_TOKEN_KEY_PURPOSE = 'admin-api-token v1';
const TOKEN_RE = /^fgat_[A-Za-z0-9_-]{43}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** last_used_at is written at most this often per token: one write per minute, not per call. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiTokenView {
  name: string;
  role: ConsoleRole;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** Who a request's token is (revoked and unknown tokens never get this far). */
export interface ApiTokenIdentity {
  id: string;
  name: string;
  role: ConsoleRole;
}

export type TokenCheck = { ok: true; token: ApiTokenIdentity } | { ok: false; reason: 'MALFORMED' | 'UNKNOWN' | 'REVOKED'; name?: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function view(row: AdminApiTokensTable): ApiTokenView {
  return {
    name: row.name,
    role: isConsoleRole(row.role) ? row.role : 'helpdesk',
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}

export function checkTokenName(name: string): string {
  if (!NAME_RE.test(name)) {
    const why = 'a token name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit';
    throw new FactorgateError('BAD_REQUEST', { detail: why, publicDetail: why });
  }
  return name;
}

export class ApiTokens {
  readonly #key: Buffer;

  /** `key`: from `secrets.deriveKey(API_TOKEN_KEY_PURPOSE)` after the derivation root is pinned. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    key: Buffer,
  ) {
    this.#key = Buffer.from(key);
  }

  #hash(token: string): string {
    return createHmac('sha256', this.#key).update(token).digest('base64url');
  }

  /** Makes a token; the returned `token` is the only copy there will ever be. */
  async create(input: { name: string; role: ConsoleRole; createdBy: string }): Promise<{ token: string; view: ApiTokenView }> {
    const name = checkTokenName(input.name);
    if (!isConsoleRole(input.role)) throw new FactorgateError('BAD_REQUEST', { detail: `unknown role "${String(input.role)}"`, publicDetail: 'role must be helpdesk or admin' });
    const existing = await this.db.selectFrom('admin_api_tokens').select('id').where('name', '=', name).executeTakeFirst();
    if (existing) throw new FactorgateError('BAD_REQUEST', { status: 409, detail: `a token named "${name}" exists (names stay taken after revocation)`, publicDetail: `a token named "${name}" exists` });
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row: AdminApiTokensTable = {
      id: randomUUID(),
      name,
      role: input.role,
      token_hash: this.#hash(token),
      created_by: input.createdBy,
      created_at: this.clock.now(),
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    };
    await this.db.insertInto('admin_api_tokens').values(row).execute();
    return { token, view: view(row) };
  }

  async list(): Promise<ApiTokenView[]> {
    const rows = await this.db.selectFrom('admin_api_tokens').selectAll().orderBy('created_at').orderBy('name').execute();
    return rows.map(view);
  }

  /** Revokes by name; revoking twice is refused so a typo is not silently "done". */
  async revoke(name: string, by: string): Promise<ApiTokenView> {
    const row = await this.db.selectFrom('admin_api_tokens').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new FactorgateError('NOT_FOUND', { detail: `no API token named "${name}"`, publicDetail: `no API token named "${name}"` });
    if (row.revoked_at !== null) throw new FactorgateError('BAD_REQUEST', { status: 409, detail: `API token "${name}" is already revoked (at ${iso(row.revoked_at)})`, publicDetail: `API token "${name}" is already revoked` });
    const now = this.clock.now();
    await this.db.updateTable('admin_api_tokens').set({ revoked_at: now, revoked_by: by }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    return view({ ...row, revoked_at: now, revoked_by: by });
  }

  /** Who presents `token`, recording its use. Never throws for a bad token: says why it is bad. */
  async check(token: string): Promise<TokenCheck> {
    if (!TOKEN_RE.test(token)) return { ok: false, reason: 'MALFORMED' };
    const row = await this.db.selectFrom('admin_api_tokens').selectAll().where('token_hash', '=', this.#hash(token)).executeTakeFirst();
    if (!row) return { ok: false, reason: 'UNKNOWN' };
    if (row.revoked_at !== null) return { ok: false, reason: 'REVOKED', name: row.name };
    if (!isConsoleRole(row.role)) return { ok: false, reason: 'UNKNOWN', name: row.name };
    const now = this.clock.now();
    if (row.last_used_at === null || now - Number(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
      await this.db.updateTable('admin_api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return { ok: true, token: { id: row.id, name: row.name, role: row.role } };
  }
}
