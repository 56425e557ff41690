/**
 * The primary of `server.workers > 1`: prepares what the workers share (PREPARE_STEPS: migrations,
 * derivation root, dev keys, demo users) once, before forking, so N workers starting together
 * never race to create them; then forks and supervises (worker-supervisor.ts). SIGHUP replaces
 * the workers one by one; SIGTERM and SIGINT drain them all.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { AdapterLink } from '../../api/host-api.js';
import { createLogger } from '../../audit/logger.js';
import { systemClock } from '../../kit/clock.js';
import type { DemoCredential } from '../bootstrap/demo-users.js';
import type { LoadedConfig } from '../config/load.js';
import { prepareHost } from '../host.js';
import { WorkerSupervisor } from './worker-supervisor.js';
import { WORKER_COUNT_ENV, WORKER_SLOT_ENV } from './worker-role.js';

/** A draining worker gets its own shutdown deadline, and this much more before it is killed. */
const DRAIN_MARGIN_MS = 5_000;

export interface RunningPrimary {
  logger: Logger;
  url: string;
  links: AdapterLink[];
  pids: number[];
  demoCredentials: readonly DemoCredential[];
  /** Resolves once a stop signal has drained every worker. */
  stopped: Promise<void>;
}

export async function runPrimary(loaded: LoadedConfig, count: number): Promise<RunningPrimary> {
  const logger = createLogger({ level: loaded.host.logging.level }).child({ role: 'primary' });
  const { demoCredentials } = await prepareHost({ loaded, adapters: loaded.definitions, logger });
  const supervisor = new WorkerSupervisor({
    count,
    logger,
    clock: systemClock,
    drainTimeoutMs: loaded.host.server.shutdownTimeoutSeconds * 1000 + DRAIN_MARGIN_MS,
    fork: (slot) => cluster.fork({ [WORKER_SLOT_ENV]: String(slot), [WORKER_COUNT_ENV]: String(count) }),
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: draining every worker');
      void supervisor.stop().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'restarting the workers one by one');
    void supervisor.restart();
  });
  const ready = await supervisor.start();
  return { logger, ...ready, pids: supervisor.pids(), demoCredentials, stopped };
}
