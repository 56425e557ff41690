/**
 * factorgate's own session for one proxied app: a random cookie whose SHA-256 is the row id,
 * ended by idle time (no request for `idleMinutes`), by absolute time, or by logout.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/sdk/adapter.js';
import { newToken, sha256, type FormsProxyTables } from './pending-logins.js';

export interface AppSession {
  id: string;
  userId: string;
  methods: string[];
  createdAt: number;
  expiresAt: number;
}

/** Writes of `last_seen_at` are skipped when the last one is this recent (ms). */
const TOUCH_EVERY_MS = 30_000;
/**
 * A session checked in the store is trusted for this long without asking again: the store
 * round trip per request halved the proxied requests/s (bench/forms-proxy.ts). A logout on
 * this host takes effect at once; one on another host sharing the store, within this delay.
 */
const RECHECK_AFTER_MS = 1_000;
const RECENT_MAX = 10_000;

export class AppSessions {
  readonly #db: Kysely<FormsProxyTables>;
  readonly #clock: Clock;
  readonly #recent = new Map<string, { session: AppSession; checkedAt: number }>();

  constructor(db: Kysely<FormsProxyTables>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Starts a session; returns the cookie value (never stored). */
  async create(app: string, userId: string, methods: string[], absoluteMs: number): Promise<string> {
    const token = newToken();
    const now = this.#clock.now();
    await this.#db
      .insertInto('forms_proxy_sessions')
      .values({ id: sha256(token), app, user_id: userId, methods: JSON.stringify(methods), created_at: now, last_seen_at: now, expires_at: now + absoluteMs })
      .execute();
    return token;
  }

  /** The live session for this cookie value, refreshing its idle timer; null otherwise. */
  async get(app: string, token: string | undefined, idleMs: number): Promise<AppSession | null> {
    if (!token || token.length > 128) return null;
    const now = this.#clock.now();
    const id = sha256(token);
    const key = `${app}\u0000${id}`;
    const hit = this.#recent.get(key);
    if (hit && now - hit.checkedAt < RECHECK_AFTER_MS && hit.session.expiresAt > now) return hit.session;
    this.#recent.delete(key);
    const row = await this.#db.selectFrom('forms_proxy_sessions').selectAll().where('id', '=', id).where('app', '=', app).executeTakeFirst();
    if (!row) return null;
    if (row.expires_at <= now || row.last_seen_at + idleMs <= now) {
      await this.#db.deleteFrom('forms_proxy_sessions').where('id', '=', row.id).execute();
      return null;
    }
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
      await this.#db.updateTable('forms_proxy_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
    }
    const session = { id: row.id, userId: row.user_id, methods: JSON.parse(row.methods) as string[], createdAt: row.created_at, expiresAt: row.expires_at };
    if (this.#recent.size >= RECENT_MAX) this.#recent.clear();
    this.#recent.set(key, { session, checkedAt: now });
    return session;
  }

  async destroy(app: string, token: string | undefined): Promise<void> {
    if (!token) return;
    this.#recent.delete(`${app}\u0000${sha256(token)}`);
    await this.#db.deleteFrom('forms_proxy_sessions').where('id', '=', sha256(token)).where('app', '=', app).execute();
  }
}
