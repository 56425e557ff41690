import { FactorgateError } from '../../kit/errors.js';
import { handBack } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * A challenge is handed back once. One that was decided but not yet handed back (its host
 * stopped in between) is handed back now, by whichever host the browser reaches.
 */
export const handBackIfDecided: Step = async (ctx) => {
  switch (ctx.challenge.status) {
    case 'pending':
      return 'next';
    case 'verified':
    case 'denied':
      await handBack(ctx);
      return 'done';
    default:
      throw new FactorgateError('CHALLENGE_USED', { detail: `challenge is ${ctx.challenge.status}` });
  }
};
