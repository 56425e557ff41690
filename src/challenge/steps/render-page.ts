import { renderChallengePage } from '../challenge-page.js';
import type { Step } from '../challenge-context.js';

/** The page: enrolment instructions when registering, then the code field. */
export const renderPage: Step = async (ctx) => {
  await renderChallengePage(ctx);
  return 'done';
};
