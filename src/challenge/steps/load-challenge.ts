import { FactorgateError } from '../../kit/errors.js';
import { pickLocale, type Locale } from '../../kit/i18n.js';
import { openState } from '../sealed-state.js';
import type { Step } from '../challenge-context.js';
import { preparedOn } from '../../store/prepared-query.js';
import type { ChallengeRow, UserRow } from '../../store/schema.js';
import { toUserRecord } from '../../api/user-record.js';
import { CHALLENGE_COLUMNS } from '../challenge-columns.js';

/** 256 bits, base64url: anything else is not one of ours and costs no database lookup. */
export const CHALLENGE_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * The user's row with the challenge's columns beside it, each named `c_<column>`, and whether the
 * user holds an unused bypass (SQLite answers 0/1, PostgreSQL a boolean).
 */
type ChallengeWithUser = UserRow & { [K in keyof ChallengeRow as `c_${K}`]: ChallengeRow[K] } & { bypass_pending: number | boolean };

/** Each challenge column with its alias in the joined row, built once. */
const ALIASED = CHALLENGE_COLUMNS.map((c) => [c, `c_${c}` as const] as const);

function challengeOf(joined: ChallengeWithUser): ChallengeRow {
  const row: Record<string, unknown> = {};
  for (const [c, alias] of ALIASED) row[c] = joined[alias];
  return row as unknown as ChallengeRow;
}

/** The id names a challenge in the store, begun by this host or any other sharing it. */
export const loadChallenge: Step = async (ctx) => {
  const id = ctx.headless ? ctx.headless.challengeId : ctx.req.params.id;
  if (typeof id !== 'string' || !CHALLENGE_ID.test(id)) {
    throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'malformed challenge id' });
  }
  const { db, secrets, config } = ctx.deps;
  // One statement, compiled once (prepared-query.ts): the challenge and its user, whose row also
  // brings the lock and fraud columns checkLockout and checkFraudBlock read instead of the store,
  // and whether a bypass awaits, so applyBypass asks the store only when one does.
  // The inner join loses nothing: deleting a user deletes its challenges (ON DELETE CASCADE).
  const joined = (
    await preparedOn<{ id: string; now: number }, ChallengeWithUser>(db, 'challenge and its user by id', (q, p) =>
      q
        .selectFrom('challenges')
        .innerJoin('users', 'users.id', 'challenges.user_id')
        .selectAll('users')
        .select(ALIASED.map(([c, alias]) => `challenges.${c} as ${alias}` as const))
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom('user_bypasses')
                .select('user_bypasses.id')
                .whereRef('user_bypasses.user_id', '=', 'users.id')
                .where('user_bypasses.used_at', 'is', null)
                .where('user_bypasses.expires_at', '>', p('now')),
            )
            .as('bypass_pending'),
        )
        .where('challenges.id', '=', p('id')),
    ).run({ id, now: ctx.now })
  ).rows[0];
  if (!joined) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'no such challenge' });
  const row = challengeOf(joined);
  const userRow: UserRow = joined;
  ctx.challenge = row;
  ctx.user = toUserRecord(userRow);
  ctx.userState = { lockedUntil: userRow.locked_until, fraudBlockedAt: userRow.fraud_blocked_at, bypassPending: Boolean(joined.bypass_pending) };
  ctx.state = openState(secrets, row.id, row.continuation_enc);
  const chosen = (row.locale as Locale | null) ?? config.branding.defaultLocale;
  // A headless channel has no Accept-Language: the language chosen when the challenge began.
  ctx.locale = ctx.headless ? chosen : pickLocale(ctx.req, chosen);
  return 'next';
};
