/**
 * Lockout after consecutive failed codes, counted in the store (`users.failed_attempts`,
 * `users.locked_until`) so every host sharing it sees the same count: an attacker cannot
 * multiply the budget by spreading guesses over the hosts behind a load balancer. With a
 * 6-digit code, ±1 step and the default 5 failures per 15 minutes, the chance of guessing is
 * about 3·5/10^6 per lock period (RFC 4226 §7.3 asks for exactly this kind of throttling).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { systemClock, type Clock } from '../host/clock.js';
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
  const until = row?.locked_until ?? null;
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

/**
 * Counts one failed code. The increment and the decision to lock are one UPDATE, so failures
 * arriving at the same moment on two hosts are all counted and the lock is set by whichever
 * reaches the limit.
 */
export async function countFailure(
  db: Kysely<Database>,
  userId: string,
  now: number,
  policy: LockoutPolicy,
): Promise<{ failures: number; lockedUntil: number | null }> {
  const lockUntil = now + policy.lockMinutes * 60_000;
  await db
    .updateTable('users')
    .set({
      failed_attempts: sql<number>`failed_attempts + 1`,
      locked_until: sql<number | null>`CASE WHEN failed_attempts + 1 >= ${policy.maxFailures} THEN ${lockUntil} ELSE locked_until END`,
    })
    .where('id', '=', userId)
    .execute();
  const row = await db.selectFrom('users').select(['failed_attempts', 'locked_until']).where('id', '=', userId).executeTakeFirst();
  return { failures: row?.failed_attempts ?? 0, lockedUntil: row?.locked_until ?? null };
}

/** A verified code ends the run of failures ("consecutive"). */
export async function clearFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('failed_attempts', '!=', 0), eb('locked_until', 'is not', null)]))
    .execute();
}

/** `factorgate users unlock USER`: false when there is no such user. */
export async function unlockUser(db: Kysely<Database>, username: string, clock: Clock = systemClock): Promise<boolean> {
  return new UserRepository(db, clock).unlock(username);
}
