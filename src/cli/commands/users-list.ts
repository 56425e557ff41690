/**
 * `factorgate users list`: one line per user the store knows, under a header: name, display
 * name, email, enabled or disabled, lock state, the methods the user has enrolled, the last
 * sign-in. Tab-separated for `cut`/`awk`, or `--json` (one array). Users are read a page at a
 * time and printing stops as soon as the reader has gone (`| head`).
 */
import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Clock } from '../../kit/clock.js';
import type { Database, UserRow } from '../../store/schema.js';
import { writeOut } from '../output.js';

const PAGE = 1000;

export interface ListedUser {
  username: string;
  displayName: string | null;
  email: string | null;
  status: 'enabled' | 'disabled';
  /** ISO time until which sign-in is refused, or null when not locked. */
  lockedUntil: string | null;
  failedAttempts: number;
  /** Enrolled (confirmed) methods, sorted: totp, oath, sms, voice, email, … */
  methods: string[];
  /** ISO time of the last sign-in, or null when the user never signed in. */
  lastSignIn: string | null;
}

export const LIST_HEADER = ['USER', 'NAME', 'EMAIL', 'STATUS', 'LOCK', 'METHODS', 'LAST SIGN-IN'];

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

async function methodsOf(db: Kysely<Database>, userIds: string[]): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>();
  if (userIds.length === 0) return byUser;
  const rows = await db.selectFrom('factors').select(['user_id', 'kind']).distinct().where('user_id', 'in', userIds).where('confirmed', '=', 1).execute();
  for (const r of rows) {
    const list = byUser.get(r.user_id) ?? [];
    list.push(r.kind);
    byUser.set(r.user_id, list);
  }
  for (const list of byUser.values()) list.sort();
  return byUser;
}

function toListed(row: UserRow, methods: string[], now: number): ListedUser {
  return {
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    status: row.disabled || row.admin_disabled ? 'disabled' : 'enabled',
    lockedUntil: row.locked_until !== null && row.locked_until > now ? iso(row.locked_until) : null,
    failedAttempts: row.failed_attempts,
    methods,
    lastSignIn: iso(row.last_sign_in_at),
  };
}

/** One tab-separated line; tabs and line breaks inside a value become spaces. */
function textLine(u: ListedUser): string {
  const cells = [
    u.username,
    u.displayName ?? '',
    u.email ?? '',
    u.status,
    u.lockedUntil ? `locked until ${u.lockedUntil}` : u.failedAttempts > 0 ? `${u.failedAttempts} failed` : '-',
    u.methods.join(',') || '-',
    u.lastSignIn ?? 'never',
  ];
  return `${cells.map((c) => c.replace(/[\t\r\n]/g, ' ')).join('\t')}\n`;
}

/** Pages through the users in name order. */
export async function* listUsers(db: Kysely<Database>, clock: Clock): AsyncGenerator<ListedUser> {
  for (let offset = 0; ; offset += PAGE) {
    const rows = await db.selectFrom('users').selectAll().orderBy('username').limit(PAGE).offset(offset).execute();
    const methods = await methodsOf(db, rows.map((r) => r.id));
    const now = clock.now();
    for (const r of rows) yield toListed(r, methods.get(r.id) ?? [], now);
    if (rows.length < PAGE) return;
  }
}

/** Prints the listing; stops early, without error, when `out` closes. */
export async function printUsers(db: Kysely<Database>, clock: Clock, out: Writable, json: boolean): Promise<void> {
  if (!(await writeOut(out, json ? '[' : `${LIST_HEADER.join('\t')}\n`))) return;
  let first = true;
  for await (const u of listUsers(db, clock)) {
    const ok = await writeOut(out, json ? `${first ? '' : ','}\n${JSON.stringify(u)}` : textLine(u));
    first = false;
    if (!ok) return;
  }
  await writeOut(out, json ? `${first ? '' : '\n'}]\n` : '');
}
