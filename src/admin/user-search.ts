/**
 * The console's user search (issue 18): a case-insensitive prefix of the username, UPN, email,
 * phone, mobile or display name, a page at a time, with what the list shows for each user:
 * enabled or not, locked until, a one-time bypass waiting, the methods, the last sign-in and
 * its result. Each prefix is a range on an index of the column's folded key (user-keys.ts:
 * `lower(column)`, migration 024; the username itself on SQLite), so a search never scans the
 * users table; an empty query lists everyone by username.
 */
import type { Expression, Kysely, SqlBool } from 'kysely';
import { userKey } from '../store/user-keys.js';
import type { Database } from '../store/schema.js';
import { SEARCH_COLUMNS } from '../store/migrations/024-admin-console.js';

export interface UserListEntry {
  username: string;
  displayName: string | null;
  upn: string | null;
  email: string | null;
  disabled: boolean;
  /** When the lock ends (ms), if locked now. */
  lockedUntil: number | null;
  failedAttempts: number;
  bypassUntil: number | null;
  /** Enrolled method kinds, default first. */
  methods: string[];
  lastSignIn: { at: number; event: string; result: string; denyReason: string | null } | null;
}

export interface UserSearchPage {
  query: string;
  page: number;
  pageSize: number;
  users: UserListEntry[];
  hasNext: boolean;
}

/** The audit events that are a sign-in try (password, factor, denial, bypass). */
export const SIGN_IN_EVENTS = ['primary', 'second-factor', 'challenge', 'bypass-used'] as const;
const MAX_QUERY = 128;
/** The highest code point: every string starting with `p` sorts before `p` + it, in byte order. */
const TOP = '\u{10FFFF}';

export async function searchUsers(db: Kysely<Database>, input: { query: string; page: number; pageSize: number; now: number }): Promise<UserSearchPage> {
  const query = input.query.trim().slice(0, MAX_QUERY);
  const prefix = query.toLowerCase();
  const page = Math.max(0, Math.floor(input.page));
  let q = db.selectFrom('users').select(['id', 'username', 'display_name', 'upn', 'email', 'disabled', 'admin_disabled', 'locked_until', 'failed_attempts']);
  if (prefix !== '') {
    q = q.where((eb) =>
      eb.or(
        SEARCH_COLUMNS.map((col) => {
          const folded: Expression<string> = userKey(db, col);
          return eb.and([eb(folded, '>=', prefix), eb(folded, '<', `${prefix}${TOP}`)]) as Expression<SqlBool>;
        }),
      ),
    );
  }
  const rows = await q
    .orderBy('username')
    .limit(input.pageSize + 1)
    .offset(page * input.pageSize)
    .execute();
  const shown = rows.slice(0, input.pageSize);
  const ids = shown.map((r) => r.id);
  // Three queries for the whole page, whatever its size: the methods, the bypasses and each
  // listed user's last sign-in (one per user was N+1 round trips to the store).
  const [factors, bypasses, last] = ids.length
    ? await Promise.all([
        db.selectFrom('factors').select(['user_id', 'kind', 'is_default']).where('user_id', 'in', ids).where('confirmed', '=', 1).orderBy('is_default', 'desc').orderBy('created_at').execute(),
        db.selectFrom('user_bypasses').select(['user_id', 'expires_at']).where('user_id', 'in', ids).where('used_at', 'is', null).where('expires_at', '>', input.now).execute(),
        lastSignIns(db, ids),
      ])
    : [[], [], new Map<string, LastSignInRow>()];
  return {
    query,
    page,
    pageSize: input.pageSize,
    hasNext: rows.length > input.pageSize,
    users: shown.map((r) => {
      const l = last.get(r.id);
      const kinds = factors.filter((f) => f.user_id === r.id).map((f) => f.kind);
      return {
        username: r.username,
        displayName: r.display_name,
        upn: r.upn,
        email: r.email,
        disabled: r.disabled === 1 || r.admin_disabled === 1,
        lockedUntil: r.locked_until !== null && r.locked_until > input.now ? r.locked_until : null,
        failedAttempts: r.failed_attempts,
        bypassUntil: bypasses.filter((b) => b.user_id === r.id).reduce<number | null>((m, b) => Math.max(m ?? 0, b.expires_at), null),
        methods: [...new Set(kinds)],
        lastSignIn: l ? { at: l.ts, event: l.event, result: l.result, denyReason: l.deny_reason } : null,
      };
    }),
  };
}

interface LastSignInRow {
  ts: number;
  event: string;
  result: string;
  deny_reason: string | null;
}

/**
 * Each user's latest sign-in try, in one statement: for every user a correlated lookup of the id
 * of their newest sign-in event (a descent of the `(user_id, ts)` index, as the per-user query
 * did), then those rows by primary key.
 */
async function lastSignIns(db: Kysely<Database>, ids: string[]): Promise<Map<string, LastSignInRow>> {
  const rows = await db
    .selectFrom('audit_events')
    .select(['user_id', 'ts', 'event', 'result', 'deny_reason'])
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('users')
        .select((u) =>
          u
            .selectFrom('audit_events as newest')
            .select('newest.id')
            .whereRef('newest.user_id', '=', 'users.id')
            .where('newest.event', 'in', [...SIGN_IN_EVENTS])
            .orderBy('newest.ts', 'desc')
            .limit(1)
            .as('id'),
        )
        .where('users.id', 'in', ids),
    )
    .execute();
  return new Map(rows.filter((r) => r.user_id !== null).map((r) => [r.user_id!, r]));
}
