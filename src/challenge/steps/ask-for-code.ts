import { sendCode } from './send-code.js';
import { showAgain } from '../show-again.js';
import type { Step } from '../challenge-context.js';

/**
 * A headless request without a code is not an attempt: a delivered method sends its code
 * when the challenge begins (the channel cannot offer a "Send me a code" button), then the
 * channel is told to ask for it. A code already typed (the one-field form) goes on to be checked.
 */
export const askForCode: Step = async (ctx) => {
  const code = typeof ctx.body.code === 'string' ? ctx.body.code.trim() : '';
  if (code !== '') return 'next';
  const method = ctx.selected!;
  const beginning = ctx.headless?.code === undefined;
  if (method.factor.send && beginning) {
    await sendCode(ctx, method);
    return 'done';
  }
  await showAgain(ctx);
  return 'done';
};
