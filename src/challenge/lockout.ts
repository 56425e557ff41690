/**
 * Lockout after consecutive failed codes, counted in the store (`users.failed_attempts`,
 * `users.locked_until`) so every host sharing it sees the same count: an attacker cannot
 * multiply the budget by spreading guesses over the hosts behind a load balancer. With a
 * 6-digit code, ±1 step and the default 5 failures per 15 minutes, the chance of guessing is
 * about 3·5/10^6 per lock period (RFC 4226 §7.3 asks for exactly this kind of throttling).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { preparedOn } from '../store/prepared-query.js';
import { systemClock, type Clock } from '../kit/clock.js';
import { UserRepository } from '../users/user-repository.js';

export interface LockoutPolicy {
  maxFailures: number;
  lockMinutes: number;
}

export type LockState = { locked: false } | { locked: true; until: number };

/**
 * Whether the user is locked at `now`. A lock that has run out is cleared here together with
 * its count, so the user starts again with the full number of tries.
 */
export async function readLock(db: Kysely<Database>, userId: string, now: number): Promise<LockState> {
  const row = await db.selectFrom('users').select(['locked_until']).where('id', '=', userId).executeTakeFirst();
  return lockState(db, userId, row?.locked_until ?? null, now);
}

/** `readLock` for a `locked_until` already read (with the user, by the challenge's first step). */
export async function lockState(db: Kysely<Database>, userId: string, until: number | null, now: number): Promise<LockState> {
  if (until === null) return { locked: false };
  if (until > now) return { locked: true, until };
  await db
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('id', '=', userId)
    .where('locked_until', '=', until)
    .execute();
  return { locked: false };
}

/** The outcome of `reserveAttempt`: a reserved attempt may be judged, a refused one may not. */
export type AttemptReservation =
  | { reserved: true; failures: number; lockedUntil: number | null }
  | { reserved: false; lockedUntil: number | null };

/**
 * Reserves one attempt before the code is looked at. Counting only after the verdict let every
 * request that had already read "not locked" be judged: 40 parallel wrong codes against a limit
 * of 5 were judged 7–8 times on PostgreSQL. Here the decision and the count are one conditional
 * UPDATE … RETURNING, so across every host sharing the store exactly `maxFailures` attempts are
 * judged per lock period: the one that reaches the limit sets the lock at once (a success clears
 * it), and every later one matches no row and is refused. A lock that has run out starts a new
 * count at 1. `countAttempt` and `releaseAttempt` settle the reservation.
 */
export async function reserveAttempt(db: Kysely<Database>, userId: string, now: number, policy: LockoutPolicy): Promise<AttemptReservation> {
  // Every code checked runs it: compiled once (prepared-query.ts); the policy's numbers are parameters.
  const reserve = preparedOn<{ userId: string; now: number; max: number; lockUntil: number }, { failed_attempts: number; locked_until: number | null }>(db, 'reserve attempt', (q, p) => {
    const expired = sql<boolean>`(locked_until IS NOT NULL AND locked_until <= ${p('now')})`;
    const next = sql<number>`(CASE WHEN ${expired} THEN 1 ELSE failed_attempts + 1 END)`;
    return q
      .updateTable('users')
      .set({
        failed_attempts: next,
        locked_until: sql<number | null>`CASE WHEN ${next} >= ${p('max')} THEN CAST(${p('lockUntil')} AS BIGINT) ELSE NULL END`,
      })
      .where('id', '=', p('userId'))
      .where(sql<boolean>`(locked_until IS NULL OR locked_until <= ${p('now')})`)
      .where(sql<boolean>`(failed_attempts < ${p('max')} OR ${expired})`)
      .returning(['failed_attempts', 'locked_until']);
  });
  const row = (await reserve.run({ userId, now, max: policy.maxFailures, lockUntil: now + policy.lockMinutes * 60_000 })).rows[0];
  if (row) return { reserved: true, failures: Number(row.failed_attempts), lockedUntil: row.locked_until === null ? null : Number(row.locked_until) };
  const current = await db.selectFrom('users').select(['locked_until']).where('id', '=', userId).executeTakeFirst();
  return { reserved: false, lockedUntil: current?.locked_until ?? null };
}

/**
 * Gives back a reserved attempt that turned out not to be one (an out-of-band approval still
 * awaited): the count drops by one and a lock that only this reservation set is lifted.
 */
export async function releaseAttempt(db: Kysely<Database>, userId: string, policy: LockoutPolicy): Promise<void> {
  await db
    .updateTable('users')
    .set({
      failed_attempts: sql<number>`failed_attempts - 1`,
      locked_until: sql<number | null>`CASE WHEN failed_attempts - 1 < ${policy.maxFailures} THEN NULL ELSE locked_until END`,
    })
    .where('id', '=', userId)
    .where('failed_attempts', '>', 0)
    .execute();
}

/** A verified code ends the run of failures ("consecutive"). */
export async function clearFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await preparedOn<{ userId: string }, unknown>(db, 'clear failures', (q, p) =>
    q
      .updateTable('users')
      .set({ failed_attempts: 0, locked_until: null })
      .where('id', '=', p('userId'))
      .where((eb) => eb.or([eb('failed_attempts', '!=', 0), eb('locked_until', 'is not', null)])),
  ).run({ userId });
}

/** `factorgate users unlock USER`: false when there is no such user. */
export async function unlockUser(db: Kysely<Database>, username: string, clock: Clock = systemClock): Promise<boolean> {
  return new UserRepository(db, clock).unlock(username);
}
