/**
 * `factorgate check-config [--config FILE] [--connect]`. Without --connect: the file is read and
 * validated, every problem printed on its own line as `FILE: KEY: problem` (exit 2). With
 * --connect, a valid file is then tried for real (directory bind and base DNs, SMTP greeting,
 * STARTTLS and login, upstream metadata URLs, key files): one line per check, failures as
 * `FILE: KEY: what answered and what to check` on standard error (exit 1).
 */
import { parseArgs } from 'node:util';
import { type CliContext, loadCliConfig } from '../cli-context.js';
import { connectChecks, runConnectChecks } from '../../host/connect-checks/run-connect-checks.js';

export const usage = 'check-config [--config FILE] [--connect]   validate the configuration (exit 2 on a problem); --connect also tries its servers, URLs and keys (exit 1 on a failure)';

export async function run(ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args: ctx.args, options: { config: { type: 'string' }, connect: { type: 'boolean' } }, strict: true });
  const loaded = await loadCliConfig(values.config);
  const label = loaded.host.configFile ?? '(embedded demo defaults)';
  const adapters = [...loaded.adapters.keys()];
  ctx.stdout.write(`${label}: OK (store ${loaded.host.store.driver}, directory ${loaded.host.directory.type}, adapters: ${adapters.join(', ') || 'none'})\n`);
  if (!values.connect) return 0;

  const results = await runConnectChecks(connectChecks(loaded, loaded.definitions));
  for (const r of results) {
    if (r.ok) ctx.stdout.write(`${label}: ${r.key}: ${r.what}: ok (${r.message})\n`);
    else ctx.stderr.write(`${label}: ${r.key}: ${r.message}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  ctx.stdout.write(`connect: ${results.length - failed} of ${results.length} checks passed\n`);
  return failed === 0 ? 0 : 1;
}
