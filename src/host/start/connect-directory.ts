import { hashingMode } from '../../hashing/niced-hash-pool.js';
import { durationToMs } from '../../kit/durations.js';
import { gatePasswordChecks, PasswordCheckGate, shareOfHost } from '../../regulation/password-check-gate.js';
import { createDirectory } from '../create-directory.js';
import type { StartStep } from './start-context.js';

/** Every password check (file hash or LDAP bind), whoever asks, waits for a turn and the per-second budget. */
export const connectDirectory: StartStep = (ctx) => {
  const { config, logger, clock } = ctx;
  const { maxInFlight, queueWait, perSecond, burst } = config.regulation.passwordChecks;
  // The limits are the host's: with server.workers each process takes its share.
  const passwordChecks = new PasswordCheckGate(shareOfHost({ maxInFlight, queueWaitMs: durationToMs(queueWait), perSecond, burst }, ctx.worker?.count ?? 1));
  const directory = gatePasswordChecks(ctx.directoryOverride ?? createDirectory(config.directory, { logger, clock }), passwordChecks);
  ctx.directory = directory;
  // Once per start: where password hashes run (issue 16: niced workers keep a spray off the SSO thread).
  const hashing = hashingMode();
  if (hashing.mode === 'in-thread') logger.warn({ hashing: hashing.mode, reason: hashing.reason }, 'password hashes run in-thread at normal priority');
  else logger.info({ hashing: hashing.mode, workers: hashing.workers }, 'password hashes run on niced worker threads');
  return () => directory.close().catch(() => undefined);
};
