import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { exportAudit } from '../../audit/export.js';
import { storeOptions } from './users.js';
import { writeOut } from '../output.js';

export const usage = 'audit export --format csv|jsonl [--since ISO-DATE] [--config FILE]';

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (sub !== 'export') throw new UsageError(`unknown audit command "${sub ?? ''}"`);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, format: { type: 'string', default: 'csv' }, since: { type: 'string' } },
    strict: true,
  });
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError('--format must be csv or jsonl');
  let since: number | undefined;
  if (values.since) {
    since = Date.parse(values.since);
    if (Number.isNaN(since)) throw new UsageError(`--since: "${values.since}" is not a date (use ISO 8601, e.g. 2026-11-01)`);
  }
  const loaded = await loadCliConfig(values.config);
  const store = await openStore(storeOptions(loaded.host));
  try {
    for await (const chunk of exportAudit(store.db, { format: values.format, ...(since !== undefined ? { since } : {}) })) {
      if (!(await writeOut(ctx.stdout, chunk))) break; // the reader has gone (`| head`)
    }
    return 0;
  } finally {
    await store.close();
  }
}
