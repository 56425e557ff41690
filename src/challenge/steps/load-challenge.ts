import { FactorgateError } from '../../kit/errors.js';
import { pickLocale, type Locale } from '../../kit/i18n.js';
import { openState } from '../sealed-state.js';
import type { Step } from '../challenge-context.js';
import { preparedOn } from '../../store/prepared-query.js';
import type { ChallengeRow, UserRow } from '../../store/schema.js';
import { toUserRecord } from '../../api/user-record.js';

/** 256 bits, base64url: anything else is not one of ours and costs no database lookup. */
export const CHALLENGE_ID = /^[A-Za-z0-9_-]{43}$/;

/** The id names a challenge in the store, begun by this host or any other sharing it. */
export const loadChallenge: Step = async (ctx) => {
  const id = ctx.headless ? ctx.headless.challengeId : ctx.req.params.id;
  if (typeof id !== 'string' || !CHALLENGE_ID.test(id)) {
    throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'malformed challenge id' });
  }
  const { db, secrets, config } = ctx.deps;
  // Both compiled once (prepared-query.ts); the user's row also brings its lock and fraud
  // columns, which checkLockout and checkFraudBlock read from it instead of the store again.
  const row = (await preparedOn<{ id: string }, ChallengeRow>(db, 'challenge by id', (q, p) => q.selectFrom('challenges').selectAll().where('id', '=', p('id'))).run({ id })).rows[0];
  if (!row) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'no such challenge' });
  const userRow = (await preparedOn<{ id: string }, UserRow>(db, 'challenge user by id', (q, p) => q.selectFrom('users').selectAll().where('id', '=', p('id'))).run({ id: row.user_id })).rows[0];
  if (!userRow) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'the challenge user no longer exists' });
  ctx.challenge = row;
  ctx.user = toUserRecord(userRow);
  ctx.userState = { lockedUntil: userRow.locked_until, fraudBlockedAt: userRow.fraud_blocked_at };
  ctx.state = openState(secrets, row.id, row.continuation_enc);
  const chosen = (row.locale as Locale | null) ?? config.branding.defaultLocale;
  // A headless channel has no Accept-Language: the language chosen when the challenge began.
  ctx.locale = ctx.headless ? chosen : pickLocale(ctx.req, chosen);
  return 'next';
};
