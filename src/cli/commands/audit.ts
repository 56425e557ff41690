import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { exportAudit } from '../../audit/export.js';
import { REPORT_GROUPS, authenticationReport, reportCsv, reportTable, type ReportGroup } from '../../audit/report.js';
import { systemClock } from '../../kit/clock.js';
import { storeOptions } from './users.js';
import { writeOut } from '../output.js';

export const usage = [
  'audit export --format csv|jsonl [--since ISO-DATE] [--config FILE]',
  `audit report [--since ISO-DATE] [--until ISO-DATE] --by ${REPORT_GROUPS.join('|')} [--format table|csv|json] [--config FILE]  sign-ins by result (default: the last 30 days)`,
].join('\n  ');

function parseDate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${value}" is not a date (use ISO 8601, e.g. 2026-11-01)`);
  return ms;
}

async function report(ctx: CliContext, rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, format: { type: 'string', default: 'table' }, since: { type: 'string' }, until: { type: 'string' }, by: { type: 'string', default: 'day' } },
    strict: true,
  });
  if (!(REPORT_GROUPS as readonly string[]).includes(values.by)) throw new UsageError(`--by must be one of ${REPORT_GROUPS.join(', ')}`);
  if (values.format !== 'table' && values.format !== 'csv' && values.format !== 'json') throw new UsageError('--format must be table, csv or json');
  const by = values.by as ReportGroup;
  const until = parseDate('--until', values.until) ?? systemClock.now() + 1;
  const since = parseDate('--since', values.since) ?? until - 30 * 86_400_000;
  if (since >= until) throw new UsageError('--since must be before --until');
  const loaded = await loadCliConfig(values.config);
  const store = await openStore(storeOptions(loaded.host));
  try {
    const rows = await authenticationReport(store.db, { by, since, until });
    const text = values.format === 'json' ? `${JSON.stringify({ by, since: new Date(since).toISOString(), until: new Date(until).toISOString(), rows }, null, 2)}\n` : values.format === 'csv' ? reportCsv(by, rows) : reportTable(by, rows);
    await writeOut(ctx.stdout, text);
    return 0;
  } finally {
    await store.close();
  }
}

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (sub === 'report') return report(ctx, rest);
  if (sub !== 'export') throw new UsageError(`unknown audit command "${sub ?? ''}"`);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, format: { type: 'string', default: 'csv' }, since: { type: 'string' } },
    strict: true,
  });
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError('--format must be csv or jsonl');
  const since = parseDate('--since', values.since);
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
