import { FactorgateError } from '../../kit/errors.js';
import { headlessBinding } from '../challenge-context.js';
import type { Step } from '../challenge-context.js';

/**
 * A headless challenge is answered only on the channel and by the adapter that began it: a
 * browser challenge's id replayed over RADIUS, or another adapter's, is refused like an
 * unknown id (the same answer, so it tells nothing), and audited.
 */
export const checkChannel: Step = async (ctx) => {
  const io = ctx.headless;
  if (!io) throw new Error('checkChannel belongs to the headless step tables');
  if (ctx.challenge.browser_hash === headlessBinding(io.channel) && ctx.challenge.adapter === io.adapter) return 'next';
  ctx.log.warn({ reason: 'WRONG_CHANNEL', expectedAdapter: io.adapter }, 'challenge answered on a channel that did not begin it');
  await ctx.deps.audit.record({ event: 'second-factor', result: 'failure', ...ctx.auditBase, denyReason: 'WRONG_CHANNEL' });
  throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: `challenge not begun on channel ${io.channel} by adapter ${io.adapter}` });
};
