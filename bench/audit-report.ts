/**
 * Reports over a big audit table (issue 18): N audit rows (default 10,000,000) spread over a
 * year in a fresh SQLite store with every migration applied, then each report of the admin API
 * and console over the last 30 days, through `runReport` (the code the API runs). The value is
 * the slowest of those reports; the baseline is the same slowest report with the table read
 * without its indexes (`NOT INDEXED`), i.e. what it would cost without migration 025. Target:
 * under 1 s. Not a test: no thresholds.
 *
 * The rows are generated inside SQLite by one INSERT … SELECT over a recursive counter (one
 * transaction, no JavaScript per row); the audit table's indexes are dropped first and created
 * again afterwards from their own stored SQL (a sort instead of N index inserts each), so the
 * store ends exactly as the migrations left it, only full.
 * Run with `npx tsx bench/audit-report.ts [--rows 10000000]`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStore } from '../src/store/store.js';
import { REPORTS, runReport, type ReportGroup, type ReportName } from '../src/audit/report.js';

export interface AuditReportBenchOptions {
  rows?: number;
}

export interface AuditReportTiming {
  report: ReportName;
  by: ReportGroup;
  seconds: number;
  groups: number;
  counted: number;
}

export interface AuditReportBenchResult {
  rows: number;
  /** Rows inside the 30-day window the reports read. */
  windowRows: number;
  fillSeconds: number;
  indexSeconds: number;
  dbMb: number;
  timings: AuditReportTiming[];
  slowest: AuditReportTiming;
  /** The slowest report again, with the table read without its indexes. */
  unindexedSeconds: number;
}

const DAY = 86_400_000;
const END = Date.UTC(2026, 11, 1);
const START = END - 365 * DAY;

/** One year of a mid-size site's audit: mostly second factors, some passwords, denials, bypasses, fraud reports, other events. */
function fillSql(rows: number): string {
  return `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
INSERT INTO audit_events (id, ts, event, user_id, username, method, result, deny_reason, server_name, adapter, relying_party, client_ip)
SELECT
  printf('%012d', i),
  ${START} + (i * ${END - START}) / ${rows},
  CASE WHEN i % 20 < 11 THEN 'second-factor' WHEN i % 20 < 15 THEN 'primary' WHEN i % 20 = 15 THEN 'challenge'
       WHEN i % 400 = 16 THEN 'bypass-used' WHEN i % 1000 = 17 THEN 'fraud-report' WHEN i % 20 < 18 THEN 'code-delivery' ELSE 'admin-action' END,
  'u' || ((i * 48271) % 50000),
  'user' || ((i * 48271) % 50000),
  CASE (i * 31) % 5 WHEN 0 THEN 'totp' WHEN 1 THEN 'sms' WHEN 2 THEN 'email' WHEN 3 THEN 'oath' ELSE 'webauthn' END,
  CASE WHEN i % 20 = 15 THEN 'denied' WHEN (i * 7919) % 10 < 8 THEN 'success' ELSE 'failure' END,
  CASE WHEN i % 20 = 15 THEN (CASE (i * 13) % 3 WHEN 0 THEN 'LOCKED' WHEN 1 THEN 'RATE_LIMITED' ELSE 'USER_DISABLED' END)
       WHEN (i * 7919) % 10 >= 8 THEN (CASE i % 3 WHEN 0 THEN 'BAD_CODE' WHEN 1 THEN 'REPLAY' ELSE 'EXPIRED_CODE' END) END,
  'bench-host',
  CASE (i * 13) % 4 WHEN 0 THEN 'saml-idp' WHEN 1 THEN 'forms-proxy' WHEN 2 THEN 'ws-fed' ELSE 'saml-bridge' END,
  'rp-' || ((i * 17) % 40),
  '10.0.' || ((i / 256) % 256) || '.' || (i % 256)
FROM n`;
}

/** Every report and grouping the console's reports page and the API offer by default, plus the widest groupings. */
const PLAN: [ReportName, ReportGroup][] = [
  ['sign-ins', 'day'],
  ['sign-ins', 'hour'],
  ['sign-ins', 'method'],
  ['sign-ins', 'adapter'],
  ['sign-ins', 'relying-party'],
  ['sign-ins', 'user'],
  ['deny-reasons', 'reason'],
  ['lockouts', 'day'],
  ['bypasses', 'day'],
  ['fraud-reports', 'day'],
];

export async function runAuditReportBench(options: AuditReportBenchOptions = {}): Promise<AuditReportBenchResult> {
  const rows = options.rows ?? 10_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-audit-'));
  const file = join(dir, 'factorgate.db');
  try {
    // The schema as the host makes it.
    await (await openStore({ driver: 'sqlite', file })).close();

    const raw = new SQLite(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = OFF');
    const indexes = raw.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL`).all() as { name: string; sql: string }[];
    for (const ix of indexes) raw.exec(`DROP INDEX ${ix.name}`);
    let t = performance.now();
    raw.exec('BEGIN');
    raw.exec(fillSql(rows));
    raw.exec('COMMIT');
    const fillSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    for (const ix of indexes) raw.exec(ix.sql);
    const indexSeconds = (performance.now() - t) / 1000;
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();

    const store = await openStore({ driver: 'sqlite', file });
    try {
      const window = { since: END - 30 * DAY, until: END };
      const inWindow = await store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('ts', '>=', window.since).where('ts', '<', window.until).executeTakeFirstOrThrow();
      // Warm the page cache once (a report page is opened more than once), then time each report.
      await runReport(store.db, 'sign-ins', { by: 'day', ...window });
      const timings: AuditReportTiming[] = [];
      for (const [report, by] of PLAN) {
        const start = performance.now();
        const out = await runReport(store.db, report, { by, ...window });
        timings.push({ report, by, seconds: (performance.now() - start) / 1000, groups: out.length, counted: out.reduce((n, r) => n + r.total, 0) });
      }
      const slowest = timings.reduce((a, b) => (b.seconds > a.seconds ? b : a));
      // The same report with the table read in full, as without the report index.
      const def = REPORTS[slowest.report];
      const start = performance.now();
      await sql`SELECT result, count(*) FROM audit_events NOT INDEXED WHERE event IN (${sql.join([...def.events])}) AND ts >= ${window.since} AND ts < ${window.until} GROUP BY ${sql.raw(slowest.by === 'user' ? 'username' : slowest.by === 'relying-party' ? 'relying_party' : slowest.by === 'reason' ? 'deny_reason' : slowest.by === 'day' || slowest.by === 'hour' ? `ts / ${slowest.by === 'day' ? DAY : 3_600_000}` : slowest.by)}, result`.execute(store.db);
      const unindexedSeconds = (performance.now() - start) / 1000;
      return { rows, windowRows: Number(inWindow.n), fillSeconds, indexSeconds, dbMb: Math.round(statSync(file).size / 2 ** 20), timings, slowest, unindexedSeconds };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rows: { type: 'string' } }, strict: true });
  const r = await runAuditReportBench({ rows: values.rows ? Number(values.rows) : undefined });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
