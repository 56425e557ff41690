import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { exportAudit } from '../../audit/export.js';
import { REPORTS, REPORT_GROUPS, REPORT_NAMES, isReportName, runReport, reportCsv, reportTable, type ReportGroup } from '../../audit/report.js';
import { systemClock } from '../../kit/clock.js';
import { storeOptions } from './users.js';
import { writeOut } from '../output.js';

export const usage = [
  'audit export --format csv|jsonl [--since ISO-DATE] [--config FILE]',
  `audit report [--report ${REPORT_NAMES.join('|')}] [--since ISO-DATE] [--until ISO-DATE] [--by ${REPORT_GROUPS.join('|')}] [--user NAME] [--format table|csv|json] [--config FILE]  counts by result (default: sign-ins by day, the last 30 days)`,
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
    options: { config: { type: 'string' }, format: { type: 'string', default: 'table' }, since: { type: 'string' }, until: { type: 'string' }, by: { type: 'string' }, report: { type: 'string', default: 'sign-ins' }, user: { type: 'string' } },
    strict: true,
  });
  if (!isReportName(values.report)) throw new UsageError(`--report must be one of ${REPORT_NAMES.join(', ')}`);
  const name = values.report;
  const byText = values.by ?? REPORTS[name].defaultBy;
  if (!(REPORT_GROUPS as readonly string[]).includes(byText)) throw new UsageError(`--by must be one of ${REPORT_GROUPS.join(', ')}`);
  if (values.format !== 'table' && values.format !== 'csv' && values.format !== 'json') throw new UsageError('--format must be table, csv or json');
  const by = byText as ReportGroup;
  const until = parseDate('--until', values.until) ?? systemClock.now() + 1;
  const since = parseDate('--since', values.since) ?? until - 30 * 86_400_000;
  if (since >= until) throw new UsageError('--since must be before --until');
  const loaded = await loadCliConfig(values.config);
  const store = await openStore(storeOptions(loaded.host));
  try {
    const rows = await runReport(store.db, name, { by, since, until, filter: { username: values.user } });
    const text = values.format === 'json' ? `${JSON.stringify({ report: name, by, since: new Date(since).toISOString(), until: new Date(until).toISOString(), rows }, null, 2)}\n` : values.format === 'csv' ? reportCsv(by, rows) : reportTable(by, rows);
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
