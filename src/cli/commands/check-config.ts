import { parseArgs } from 'node:util';
import { type CliContext, loadCliConfig } from '../cli-context.js';

export const usage = 'check-config [--config FILE]    validate the configuration and report every problem';

export function run(ctx: CliContext): number {
  const { values } = parseArgs({ args: ctx.args, options: { config: { type: 'string' } }, strict: true });
  const loaded = loadCliConfig(values.config);
  const adapters = [...loaded.adapters.keys()];
  ctx.stdout.write(
    `${loaded.host.configFile ?? '(embedded demo defaults)'}: OK (store ${loaded.host.store.driver}, directory ${loaded.host.directory.type}, adapters: ${adapters.join(', ') || 'none'})\n`,
  );
  return 0;
}
