/**
 * Assembles a factorgate host from a loaded configuration and the adapter definitions, as one
 * ordered table of named start-up steps (src/host/start/, one file each, its rule on its first
 * line). Each step builds its parts of the start context and may return how to stop what it
 * started; `close()` runs those in reverse order, and so does a start that fails half-way, so a
 * refused start leaves no open store or timer behind. Start-up errors pass through unchanged:
 * their codes (`FG_ERR_…`, FactorgateError) are what the CLI reports.
 */
import type express from 'express';
import type { Logger } from 'pino';
import type { Server } from 'node:http';
import type { AdapterDefinition, AdapterLink } from '../api/host-api.js';
import type { HostInternals } from './host-internals.js';
import type { HostConfig } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import { createLogger } from '../audit/logger.js';
import { systemClock, type Clock } from '../kit/clock.js';
import type { DemoCredential } from './bootstrap/demo-users.js';
import type { LoadedConfig } from './config/load.js';
import { startContext, type StartContext, type StartStep, type Stop } from './start/start-context.js';
import { registerAdapters } from './start/register-adapters.js';
import { prepareDataFolder } from './start/prepare-data-folder.js';
import { loadKeys } from './start/load-keys.js';
import { openStoreStep } from './start/open-store.js';
import { connectDirectory } from './start/connect-directory.js';
import { createServices } from './start/create-services.js';
import { createFactors } from './start/create-factors.js';
import { createChallengeEngineStep } from './start/create-challenge-engine.js';
import { buildHostApi } from './start/build-host-api.js';
import { buildApp } from './start/build-app.js';
import { mountLogin } from './start/mount-login.js';
import { mountAdminConsole } from './start/mount-admin-console.js';
import { loadAdapters } from './start/load-adapters.js';
import { mountErrorPages } from './start/mount-error-pages.js';
import { prepareListeners } from './start/prepare-listeners.js';
import { startSweeps } from './start/start-sweeps.js';
import type { HostMetrics } from '../kit/metrics.js';
import type { WorkerRole } from './cluster/worker-role.js';

/** The start-up, in order: each step reads only what the steps above it built. */
export const START_STEPS: readonly StartStep[] = [
  registerAdapters,
  prepareDataFolder,
  loadKeys,
  openStoreStep,
  connectDirectory,
  createServices,
  createFactors,
  createChallengeEngineStep,
  buildHostApi,
  buildApp,
  mountLogin,
  mountAdminConsole,
  loadAdapters,
  mountErrorPages,
  prepareListeners,
  startSweeps,
];

/**
 * What `server.workers > 1` runs once in the primary before it forks (src/host/cluster): the
 * steps that write what every worker then shares — the store's and the adapters' migrations, the
 * derivation root, generated dev signing keys, the demo users file — so N workers starting at once
 * never race to create them (each worker's own run of these steps then finds them done).
 */
export const PREPARE_STEPS: readonly StartStep[] = [registerAdapters, prepareDataFolder, loadKeys, openStoreStep];

export interface CreateHostOptions {
  loaded: LoadedConfig;
  adapters: readonly AdapterDefinition[];
  clock?: Clock;
  logger?: Logger;
  /** Replaces the configured directory (tests). */
  directory?: Directory;
  /** Where dev signing keys are generated when `signing` is not configured. Default ./certs/dev. */
  devCertsDir?: string;
  /** This host's place among `server.workers` processes; absent: the only process. */
  worker?: WorkerRole;
}

export interface Host {
  readonly app: express.Express;
  /** The host's internals (store, config, host-wide box) for composition and tests; adapters never get them. */
  readonly api: HostInternals;
  readonly config: HostConfig;
  readonly logger: Logger;
  /** This host's own counters (with workers, /metrics answers their sum over every worker). */
  readonly metrics: HostMetrics;
  /** Demo passwords created at this start (printed once by the CLI), empty otherwise. */
  readonly demoCredentials: readonly DemoCredential[];
  /** Starts the main listener and the adapters' own listeners; `url` is the bound address. */
  listen(): Promise<{ url: string; server: Server }>;
  /** The adapters' pages to open, at their public URLs (call after `listen`). */
  links(): AdapterLink[];
  /** Graceful stop: no new connections, in-flight requests finish, then the store closes. */
  close(): Promise<void>;
  /** Store + directory + adapters answering (what /readyz reports). */
  readiness(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

function contextFor(options: CreateHostOptions, logger: Logger) {
  return startContext({
    loaded: options.loaded,
    config: options.loaded.host,
    clock: options.clock ?? systemClock,
    logger,
    directoryOverride: options.directory,
    devCertsDir: options.devCertsDir,
    definitions: options.adapters,
    worker: options.worker,
  });
}

/** Runs the steps in order; returns how to undo them. A step that fails undoes those before it and rethrows. */
async function runSteps(steps: readonly StartStep[], ctx: StartContext, logger: Logger): Promise<() => Promise<void>> {
  const stops: Stop[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    for (const step of steps) {
      const stop = await step(ctx);
      if (stop) stops.push(stop);
    }
  } catch (err) {
    // Undo what the steps before the failing one started; the start-up error itself is what is reported.
    await stopAll().catch((cleanupErr: unknown) => logger.warn({ err: cleanupErr }, 'cleanup after a failed start failed'));
    throw err;
  }
  return stopAll;
}

/** Runs PREPARE_STEPS and closes what they opened; returns the demo passwords created (printed once). */
export async function prepareHost(options: CreateHostOptions): Promise<{ demoCredentials: readonly DemoCredential[] }> {
  const logger = options.logger ?? createLogger({ level: options.loaded.host.logging.level });
  const ctx = contextFor(options, logger);
  const stopAll = await runSteps(PREPARE_STEPS, ctx, logger);
  await stopAll();
  return { demoCredentials: ctx.demoCredentials };
}

export async function createHost(options: CreateHostOptions): Promise<Host> {
  const config = options.loaded.host;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const ctx = contextFor(options, logger);
  const stopAll = await runSteps(START_STEPS, ctx, logger);

  let closing: Promise<void> | undefined;
  return {
    app: ctx.app,
    api: ctx.api,
    config,
    logger,
    metrics: ctx.metrics,
    demoCredentials: ctx.demoCredentials,
    readiness: ctx.readiness,
    links: ctx.links,
    listen: ctx.listen,
    close() {
      closing ??= (async () => {
        await stopAll();
        logger.info('factorgate stopped');
        logger.flush?.();
      })();
      return closing;
    },
  };
}
