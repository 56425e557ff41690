import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { type CliContext, loadCliConfig } from '../cli-context.js';
import { createHost } from '../../host/host.js';
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
  const host = await createHost({ loaded, adapters: loaded.definitions });
  const { url } = await host.listen();
  host.logger.info({ url, publicUrl: host.config.publicUrl, configFile: loaded.host.configFile ?? 'embedded demo defaults' }, 'factorgate listening');

  const lines = startBanner({
    publicUrl: host.config.publicUrl,
    listening: url,
    links: host.links(),
    demo: loaded.host.demo,
    demoCredentials: host.demoCredentials,
    demoUsersFile: loaded.host.directory.type === 'file' ? loaded.host.directory.path : null,
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
