import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { type CliContext, loadCliConfig } from '../cli-context.js';
import { createHost } from '../../host/host.js';
import type { LoadedConfig } from '../../host/config/load.js';
import { runPrimary } from '../../host/cluster/run-primary.js';
import { runWorker } from '../../host/cluster/run-worker.js';
import { slotFromEnv, workerCount } from '../../host/cluster/worker-role.js';
import { startBanner } from '../start-banner.js';

export const usage = 'start [--config FILE]           run the server (the default command)';

/**
 * A long-running server trades little speed for much memory: with `--optimize-for-size` V8 grows
 * the old generation by smaller steps, so garbage from requests is collected before the heap
 * doubles (memory scenario --quick: heap total after 2 × 2,000 sign-ins 87-150 MB → 60 MB,
 * settled RSS 154-218 → 124-129 MB; SSO responses/s unchanged within the machine's noise).
 * Set at run time, it cannot size the young generation, only the heuristics read later. An
 * operator's own `node --[no-]optimize-for-size` wins (NODE_OPTIONS does not take V8 flags).
 */
function preferMemoryOverSpeed(): void {
  if (!process.execArgv.some((a) => /optimi[sz]e[-_]for[-_]size/.test(a))) {
    setFlagsFromString('--optimize-for-size');
  }
}

export async function run(ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args: ctx.args, options: { config: { type: 'string' } }, strict: true });
  preferMemoryOverSpeed();
  const loaded = await loadCliConfig(values.config);
  const count = workerCount(loaded.host.server.workers);
  // node:cluster forks this same command; a worker knows its slot from the environment.
  const place = cluster.isWorker ? slotFromEnv(ctx.env) : null;
  if (place) {
    await runWorker(loaded, place);
    return 0;
  }
  return count > 1 ? runSupervised(ctx, loaded, count) : runSingle(ctx, loaded);
}

function demoUsersFile(loaded: LoadedConfig): string | null {
  return loaded.host.directory.type === 'file' ? loaded.host.directory.path : null;
}

/** `server.workers: 1` (the default): one process serves, as before workers existed. */
async function runSingle(ctx: CliContext, loaded: LoadedConfig): Promise<number> {
  const host = await createHost({ loaded, adapters: loaded.definitions });
  const { url } = await host.listen();
  host.logger.info({ url, publicUrl: host.config.publicUrl, configFile: loaded.host.configFile ?? 'embedded demo defaults', workers: 1 }, 'factorgate listening');

  const lines = startBanner({
    publicUrl: host.config.publicUrl,
    listening: url,
    links: host.links(),
    demo: loaded.host.demo,
    demoCredentials: host.demoCredentials,
    demoUsersFile: demoUsersFile(loaded),
    workers: { count: 1, pids: [process.pid] },
  });
  ctx.stderr.write(`\n${lines.join('\n')}\n\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      host.logger.info({ signal }, 'shutting down');
      void host.close().then(resolve, (err: unknown) => {
        host.logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** `server.workers > 1`: this process supervises, the workers serve (src/host/cluster). */
async function runSupervised(ctx: CliContext, loaded: LoadedConfig, count: number): Promise<number> {
  const primary = await runPrimary(loaded, count);
  primary.logger.info({ url: primary.url, publicUrl: loaded.host.publicUrl, configFile: loaded.host.configFile ?? 'embedded demo defaults', workers: count, pids: primary.pids }, 'factorgate listening');
  const lines = startBanner({
    publicUrl: loaded.host.publicUrl,
    listening: primary.url,
    links: primary.links,
    demo: loaded.host.demo,
    demoCredentials: primary.demoCredentials,
    demoUsersFile: demoUsersFile(loaded),
    workers: { count, pids: primary.pids },
  });
  ctx.stderr.write(`\n${lines.join('\n')}\n\n`);
  await primary.stopped;
  return 0;
}
