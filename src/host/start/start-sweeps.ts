import { sweepExpired } from '../sweep-expired.js';
import type { StartStep } from './start-context.js';

/**
 * Expired rows are swept every few minutes by whichever host runs; each sweep is idempotent, so
 * hosts sharing a store need no leader. Among one host's workers only slot 1 sweeps: N workers
 * deleting the same rows at the same moment would only contend for the store's write lock.
 */
export const startSweeps: StartStep = (ctx) => {
  const { sweepTargets, clock, logger, regulation, worker } = ctx;
  if (worker && !worker.runsHostWideTasks) return;
  const sweep = setInterval(() => {
    void Promise.all([sweepExpired(sweepTargets, clock, logger), regulation.purge()]).catch((err: unknown) => logger.warn({ err }, 'sweep of expired rows failed'));
  }, 5 * 60_000);
  sweep.unref();
  return () => clearInterval(sweep);
};
