/**
 * The host's signed-in session: a random 256-bit token in a cookie, stored as its SHA-256 so a
 * copy of the database yields no live session. Absolute and idle lifetimes; every host on the
 * store sees the same sessions. A new session always gets a new token (no fixation).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database, SessionsTable, UserRow } from '../store/schema.js';
import type { ExternalIdentity, HostSession, SessionApi } from '../api/host-api.js';
import { toUserRecord } from '../api/user-record.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared-query.js';
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

type SessionWithUser = UserRow & { session_data: string; session_expires_at: number; session_last_seen_at: number };

export class SessionStore implements SessionApi {
  /** The data JSON each session object was read with or last written, to skip no-op updates. */
  readonly #stored = new WeakMap<HostSession, string>();
  // Every signed-in request reads its session: the statements are compiled once (prepared-query.ts).
  readonly #read: PreparedQuery<{ id: string }, SessionWithUser>;
  readonly #touch: PreparedQuery<{ id: string; now: number }, unknown>;
  readonly #drop: PreparedQuery<{ id: string }, unknown>;
  // Every completed sign-in creates a session and writes it once more (the SSO participant list).
  readonly #insert: PreparedQuery<SessionsTable, unknown>;
  readonly #write: PreparedQuery<{ id: string; data: string }, unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly cookies: CookiePolicy,
    private readonly lifetimeMs: number,
    private readonly idleMs: number,
  ) {
    // One query: the session and its user (the inner join drops a deleted user's session).
    this.#read = prepareQuery(db, (q, p) =>
      q
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('users')
        .select(['sessions.data as session_data', 'sessions.expires_at as session_expires_at', 'sessions.last_seen_at as session_last_seen_at'])
        .where('sessions.id', '=', p('id')),
    );
    this.#touch = prepareQuery(db, (q, p) => q.updateTable('sessions').set({ last_seen_at: p('now') }).where('id', '=', p('id')));
    this.#drop = prepareQuery(db, (q, p) => q.deleteFrom('sessions').where('id', '=', p('id')));
    this.#insert = prepareQuery(db, (q, p) =>
      q.insertInto('sessions').values({ id: p('id'), user_id: p('user_id'), data: p('data'), created_at: p('created_at'), last_seen_at: p('last_seen_at'), expires_at: p('expires_at') }),
    );
    this.#write = prepareQuery(db, (q, p) => q.updateTable('sessions').set({ data: p('data') }).where('id', '=', p('id')));
  }

  async get(req: Request): Promise<HostSession | null> {
    const token = this.cookies.read(req, COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const id = hashToken(token);
    const row = (await this.#read.run({ id })).rows[0];
    const now = this.clock.now();
    if (!row) return null;
    if (row.session_expires_at <= now || row.session_last_seen_at + this.idleMs <= now) {
      await this.#drop.run({ id });
      return null;
    }
    if (row.disabled === 1) return null;
    if (now - row.session_last_seen_at > TOUCH_EVERY_MS) await this.#touch.run({ id, now });
    const data = JSON.parse(row.session_data) as SessionData;
    const session: HostSession = {
      id,
      userId: row.id,
      methods: data.methods,
      multiFactor: data.multiFactor,
      authnInstant: data.authnInstant,
      expiresAt: row.session_expires_at,
      data: data.data,
      identity: data.identity ?? null,
      user: toUserRecord(row),
    };
    this.#stored.set(session, row.session_data);
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
    await this.#insert.run({ id, user_id: input.userId, data: json, created_at: now, last_seen_at: now, expires_at: expiresAt });
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
    await this.#write.run({ id: session.id, data: json });
    this.#stored.set(session, json);
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const token = this.cookies.read(req, COOKIE);
    if (token) await this.#drop.run({ id: hashToken(token) });
    this.cookies.clear(res, COOKIE);
  }

  /** Removes a user's sessions (lockout, disable, logout everywhere). */
  async destroyForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
}
