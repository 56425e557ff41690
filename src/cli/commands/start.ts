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
 * A long-running server trades a little speed for much memory: V8 grows the old generation by at
 * most half its size after a full collection (`--heap-growing-percent=50`), so garbage from
 * requests is collected before the heap doubles. This replaced `--optimize-for-size`, which held
 * the heap smaller still but cost CPU on every request (more and compacting full collections,
 * less optimised code): server CPU per SSO response 1.86-1.92 ms with it, 1.60-1.67 ms with this,
 * 1.57-1.65 ms with neither (bench/profile-sso.ts, alternated, 2026-12-06 23:50-00:02 UTC); memory
 * --quick peak RSS 159 MB with it, 172 MB with this, 210 MB with neither (target < 200 MB).
 * Set at run time, it cannot size the young generation, only the heuristics read later. An
 * operator's own `node --heap-growing-percent=N` or `--optimize-for-size` wins (NODE_OPTIONS does
 * not take V8 flags).
 */
function preferMemoryOverSpeed(): void {
  if (!process.execArgv.some((a) => /optimi[sz]e[-_]for[-_]size|heap[-_]growing[-_]percent/.test(a))) {
    setFlagsFromString('--heap-growing-percent=50');
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
