/**
 * The regulation counters in the store (migration 009). Each operation is one statement, so
 * hosts sharing the store never lose a count: a try is reserved before the password is checked
 * (one INSERT … ON CONFLICT DO UPDATE … WHERE that refuses a banned or full subject), and the
 * ban is set by the one failure that finds the window full.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { preparedOn } from '../store/prepared-query.js';

export interface CounterPolicy {
  /** Tries allowed in a window. */
  limit: number;
  findMs: number;
  banMs: number;
  maxBanMs: number;
}

const T = 'regulation_counters';
const col = (name: 'window_start' | 'failures' | 'banned_until' | 'ban_ms') => sql.ref(`${T}.${name}`);

/**
 * Takes one try for `key`: the subject's count in its window with this try (1 … limit), or null
 * when it is banned or its window is already full.
 */
export async function reserveTry(db: Kysely<Database>, key: string, now: number, policy: CounterPolicy): Promise<number | null> {
  // Every password sign-in runs this twice (client and account): compiled once (prepared-query.ts).
  const reserve = preparedOn<{ key: string; now: number; windowStart: number; limit: number }, { failures: number }>(db, 'regulation reserve try', (q, p) => {
    const windowOver = sql<boolean>`${col('window_start')} <= ${p('windowStart')}`;
    return q
      .insertInto(T)
      .values({ key: p('key'), window_start: p('now'), failures: 1, banned_until: 0, ban_ms: 0 })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            failures: sql<number>`CASE WHEN ${windowOver} THEN 1 ELSE ${col('failures')} + 1 END`,
            window_start: sql<number>`CASE WHEN ${windowOver} THEN CAST(${p('now')} AS BIGINT) ELSE ${col('window_start')} END`,
          })
          .where(sql<boolean>`${col('banned_until')} <= ${p('now')} AND (${windowOver} OR ${col('failures')} < ${p('limit')})`),
      )
      .returning('failures');
  });
  const row = (await reserve.run({ key, now, windowStart: now - policy.findMs, limit: policy.limit })).rows[0];
  return row === undefined ? null : Number(row.failures);
}

/**
 * After a failed try: when the window holds `limit` tries, bans the subject (and starts a new
 * window). Only a try whose reservation filled the window can find it full of failures (one
 * reserved earlier counts below the limit however the others end), so the regulator calls this
 * for that try alone. The ban doubles the previous one up to `maxBanMs`; a subject whose last ban ended more
 * than `maxBanMs` ago starts again at `banMs`. Answers the end of the ban this call set, or null.
 */
export async function banIfFull(db: Kysely<Database>, key: string, now: number, policy: CounterPolicy): Promise<number | null> {
  const next = sql<number>`CASE WHEN ${col('ban_ms')} = 0 OR ${col('banned_until')} <= ${now - policy.maxBanMs} THEN CAST(${policy.banMs} AS BIGINT)
    WHEN ${col('ban_ms')} * 2 >= ${policy.maxBanMs} THEN CAST(${policy.maxBanMs} AS BIGINT) ELSE ${col('ban_ms')} * 2 END`;
  const row = await db
    .updateTable(T)
    .set({ banned_until: sql<number>`CAST(${now} AS BIGINT) + ${next}`, ban_ms: next, failures: 0, window_start: now })
    .where('key', '=', key)
    .where('failures', '>=', policy.limit)
    .where('banned_until', '<=', now)
    .returning('banned_until')
    .executeTakeFirst();
  return row ? Number(row.banned_until) : null;
}

/** Gives a reserved try back (it was not a failure: a success, or the directory did not answer). */
export async function giveBackTry(db: Kysely<Database>, key: string): Promise<void> {
  await preparedOn<{ key: string }, unknown>(db, 'regulation give back try', (q, p) =>
    q
      .updateTable(T)
      .set({ failures: sql<number>`${col('failures')} - 1` })
      .where('key', '=', p('key'))
      .where('failures', '>', 0),
  ).run({ key });
}

/** A right password ends the account's run of failures (and any ban of it). */
export async function clearSubject(db: Kysely<Database>, key: string): Promise<void> {
  await preparedOn<{ key: string }, unknown>(db, 'regulation clear subject', (q, p) => q.updateTable(T).set({ failures: 0, banned_until: 0 }).where('key', '=', p('key'))).run({ key });
}

/**
 * A right password settles both of a sign-in's reservations in one statement: the client's try
 * is given back (as `giveBackTry`) and the account's run of failures and any ban end (as
 * `clearSubject`). One write instead of two on every successful sign-in.
 */
export async function settleSuccess(db: Kysely<Database>, clientKey: string, accountKey: string): Promise<void> {
  await preparedOn<{ client: string; account: string }, unknown>(db, 'regulation settle success', (q, p) => {
    const isAccount = sql<boolean>`${sql.ref(`${T}.key`)} = ${p('account')}`;
    return q
      .updateTable(T)
      .set({
        failures: sql<number>`CASE WHEN ${isAccount} THEN 0 WHEN ${col('failures')} > 0 THEN ${col('failures')} - 1 ELSE ${col('failures')} END`,
        banned_until: sql<number>`CASE WHEN ${isAccount} THEN 0 ELSE ${col('banned_until')} END`,
      })
      .where((eb) => eb.or([eb('key', '=', p('client')), eb('key', '=', p('account'))]));
  }).run({ client: clientKey, account: accountKey });
}

/** When a refused subject may try again (its ban, or the end of its full window). */
export async function refusedUntil(db: Kysely<Database>, key: string, now: number, policy: CounterPolicy): Promise<number> {
  const row = await db.selectFrom(T).select(['banned_until', 'window_start']).where('key', '=', key).executeTakeFirst();
  if (!row) return now;
  const banned = Number(row.banned_until);
  return banned > now ? banned : Number(row.window_start) + policy.findMs;
}

/** Removes rows whose window and ban memory are over (a periodic sweep; idempotent). */
export async function purgeCounters(db: Kysely<Database>, now: number, policy: Pick<CounterPolicy, 'findMs' | 'maxBanMs'>): Promise<number> {
  const r = await db
    .deleteFrom(T)
    .where('window_start', '<', now - policy.findMs)
    .where('banned_until', '<', now - policy.maxBanMs)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
