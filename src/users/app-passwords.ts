/**
 * App passwords (issue 19): for clients that cannot show a challenge (a mail client, a script
 * behind the forms proxy's non-browser path, RADIUS and LDAP later). Always generated, never
 * chosen: 20 characters from a 32-letter alphabet (100 bits), shown once, stored only as an
 * Argon2id hash, each scoped to the adapters that accept it. A user revokes one or all (a lost
 * phone); an administrator revokes all.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { hashSecret, verifySecret } from '../hashing/secret-hash.js';

/** No 0/o, 1/l/i: read off a screen and typed into a phone without doubt. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 5;
const GROUP_LEN = 4;
/** The adapters an app password may be used with (RADIUS takes them in place of password + code). */
export const APP_PASSWORD_SCOPES = ['forms-proxy', 'radius'] as const;
export type AppPasswordScope = (typeof APP_PASSWORD_SCOPES)[number];

export interface AppPasswordInfo {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

function generate(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let s = '';
    for (let i = 0; i < GROUP_LEN; i++) s += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/** Dashes, spaces and case dropped: `ABCD EFGH …` typed by hand verifies the same. */
const canonical = (typed: string) => typed.normalize('NFKC').toLowerCase().replace(/[\s-]/g, '');

export class AppPasswords {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates one and returns it in clear, to show once. */
  async create(userId: string, name: string, scopes: readonly AppPasswordScope[], now: number): Promise<{ id: string; password: string }> {
    const password = generate();
    const id = randomUUID();
    await this.db
      .insertInto('app_passwords')
      .values({ id, user_id: userId, name, password_hash: await hashSecret(canonical(password)), scopes: JSON.stringify(scopes), created_at: now, last_used_at: null, revoked_at: null })
      .execute();
    return { id, password };
  }

  async list(userId: string): Promise<AppPasswordInfo[]> {
    const rows = await this.db.selectFrom('app_passwords').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).orderBy('created_at', 'asc').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, scopes: JSON.parse(r.scopes) as string[], createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at) }));
  }

  /** Revokes one of the user's; false when it was not theirs or already revoked. */
  async revoke(userId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('app_passwords').set({ revoked_at: now }).where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Revokes every one the user holds; returns how many. */
  async revokeAll(userId: string, now: number): Promise<number> {
    const r = await this.db.updateTable('app_passwords').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * The app password `typed` for `scope`, or null. Every live one is checked (in parallel, so
   * the time taken does not say which matched); the match's last use is recorded.
   */
  async verify(userId: string, typed: string, scope: AppPasswordScope, now: number): Promise<AppPasswordInfo | null> {
    const live = await this.db.selectFrom('app_passwords').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    const key = canonical(typed);
    const checks = await Promise.all(live.map((r) => verifySecret(key, r.password_hash)));
    const match = live.find((r, i) => checks[i]!.ok && (JSON.parse(r.scopes) as string[]).includes(scope));
    if (!match) return null;
    await this.db.updateTable('app_passwords').set({ last_used_at: now }).where('id', '=', match.id).execute();
    return { id: match.id, name: match.name, scopes: JSON.parse(match.scopes) as string[], createdAt: Number(match.created_at), lastUsedAt: now };
  }
}
