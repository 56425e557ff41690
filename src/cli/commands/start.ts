import { parseArgs } from 'node:util';
import { type CliContext, loadCliConfig } from '../cli-context.js';
import { createHost } from '../../host/host.js';
import { builtinAdapters } from '../../../adapters/index.js';

export const usage = 'start [--config FILE]           run the server (the default command)';

export async function run(ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args: ctx.args, options: { config: { type: 'string' } }, strict: true });
  const loaded = loadCliConfig(values.config);
  const host = await createHost({ loaded, adapters: builtinAdapters });
  const { url } = await host.listen();
  host.logger.info({ url, configFile: loaded.host.configFile ?? 'embedded demo defaults' }, 'factorgate listening');

  const lines = [`factorgate is running at ${url}`, `  sign in:        ${url}/login`, `  health:         ${url}/healthz  ${url}/readyz`];
  if (loaded.host.demo) {
    const port = Number(new URL(url).port);
    if (loaded.adapters.has('saml-idp')) lines.push(`  demo SAML relying party: ${url}/saml/idp/demo-rp/`);
    if (loaded.adapters.has('forms-proxy')) lines.push(`  demo legacy app behind the forms proxy: ${url.replace(/:\d+$/, `:${port + 1}`)}/`);
  }
  if (host.demoCredentials.length > 0) {
    lines.push('', 'Demo users (passwords shown once; they are stored only as hashes in', `  ${loaded.host.directory.type === 'file' ? loaded.host.directory.path : ''}):`);
    for (const c of host.demoCredentials) lines.push(`  ${c.username.padEnd(8)} ${c.password}`);
  } else if (loaded.host.demo) {
    lines.push('', 'Demo users: their passwords were printed at the first start. To set a new one:', '  npx factorgate users hash-password  and paste the hash into data/demo-users.yaml');
  }
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
