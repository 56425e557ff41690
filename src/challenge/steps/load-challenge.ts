import { FactorgateError } from '../../kit/errors.js';
import { pickLocale, type Locale } from '../../kit/i18n.js';
import { openState } from '../sealed-state.js';
import type { Step } from '../challenge-context.js';

/** 256 bits, base64url: anything else is not one of ours and costs no database lookup. */
export const CHALLENGE_ID = /^[A-Za-z0-9_-]{43}$/;

/** The id names a challenge in the store, begun by this host or any other sharing it. */
export const loadChallenge: Step = async (ctx) => {
  const id = ctx.headless ? ctx.headless.challengeId : ctx.req.params.id;
  if (typeof id !== 'string' || !CHALLENGE_ID.test(id)) {
    throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'malformed challenge id' });
  }
  const { db, users, secrets, config } = ctx.deps;
  const row = await db.selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'no such challenge' });
  const user = await users.findById(row.user_id);
  if (!user) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'the challenge user no longer exists' });
  ctx.challenge = row;
  ctx.user = user;
  ctx.state = openState(secrets, row.id, row.continuation_enc);
  const chosen = (row.locale as Locale | null) ?? config.branding.defaultLocale;
  // A headless channel has no Accept-Language: the language chosen when the challenge began.
  ctx.locale = ctx.headless ? chosen : pickLocale(ctx.req, chosen);
  return 'next';
};
