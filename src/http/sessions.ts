/**
 * The host's signed-in session: a random 256-bit token in a cookie, stored as its SHA-256 so a
 * copy of the database yields no live session. Absolute and idle lifetimes; every host on the
 * store sees the same sessions. A new session always gets a new token (no fixation).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ExternalIdentity, HostSession, SessionApi } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import type { CookiePolicy } from './cookies.js';

const COOKIE = 'fg_session';
const TOUCH_EVERY_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface SessionData {
  methods: string[];
  multiFactor: boolean;
  authnInstant: number;
  data: Record<string, unknown>;
  /** Absent in rows written before external identities existed. */
  identity?: ExternalIdentity | null;
}

export class SessionStore implements SessionApi {
  /** The data JSON each session object was read with or last written, to skip no-op updates. */
  readonly #stored = new WeakMap<HostSession, string>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly cookies: CookiePolicy,
    private readonly lifetimeMs: number,
    private readonly idleMs: number,
  ) {}

  async get(req: Request): Promise<HostSession | null> {
    const token = this.cookies.read(req, COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const id = hashToken(token);
    // One query: the session and whether its user may still sign in (the join drops a deleted user).
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.user_id', 'sessions.data', 'sessions.expires_at', 'sessions.last_seen_at', 'users.disabled'])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    const now = this.clock.now();
    if (!row) return null;
    if (row.expires_at <= now || row.last_seen_at + this.idleMs <= now) {
      await this.db.deleteFrom('sessions').where('id', '=', id).execute();
      return null;
    }
    if (row.disabled === 1) return null;
    if (now - row.last_seen_at > TOUCH_EVERY_MS) {
      await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
    }
    const data = JSON.parse(row.data) as SessionData;
    const session: HostSession = {
      id,
      userId: row.user_id,
      methods: data.methods,
      multiFactor: data.multiFactor,
      authnInstant: data.authnInstant,
      expiresAt: row.expires_at,
      data: data.data,
      identity: data.identity ?? null,
    };
    this.#stored.set(session, row.data);
    return session;
  }

  async create(
    res: Response,
    input: Parameters<SessionApi['create']>[1],
  ): Promise<HostSession> {
    const token = randomBytes(32).toString('base64url');
    const id = hashToken(token);
    const now = this.clock.now();
    const data: SessionData = {
      methods: input.methods,
      multiFactor: input.multiFactor,
      authnInstant: input.authnInstant,
      data: input.data ?? {},
      identity: input.identity ?? null,
    };
    const lifetimeMs = input.lifetimeMs ?? this.lifetimeMs;
    const expiresAt = now + lifetimeMs;
    const json = JSON.stringify(data);
    await this.db
      .insertInto('sessions')
      .values({ id, user_id: input.userId, data: json, created_at: now, last_seen_at: now, expires_at: expiresAt })
      .execute();
    this.cookies.set(res, COOKIE, token, lifetimeMs);
    const session: HostSession = { id, userId: input.userId, methods: data.methods, multiFactor: data.multiFactor, authnInstant: data.authnInstant, data: data.data, identity: data.identity ?? null, expiresAt };
    this.#stored.set(session, json);
    return session;
  }

  async update(session: HostSession): Promise<void> {
    const data: SessionData = { methods: session.methods, multiFactor: session.multiFactor, authnInstant: session.authnInstant, data: session.data, identity: session.identity };
    const json = JSON.stringify(data);
    // A repeat sign-in from a session usually changes nothing in it: no write then.
    if (this.#stored.get(session) === json) return;
    await this.db.updateTable('sessions').set({ data: json }).where('id', '=', session.id).execute();
    this.#stored.set(session, json);
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const token = this.cookies.read(req, COOKIE);
    if (token) await this.db.deleteFrom('sessions').where('id', '=', hashToken(token)).execute();
    this.cookies.clear(res, COOKIE);
  }

  /** Removes a user's sessions (lockout, disable, logout everywhere). */
  async destroyForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
}
