/**
 * Authentication reports over the audit table (issue 18, the MFA Server's usage and
 * authentication reports): sign-ins counted by result, grouped per day, hour, method, adapter,
 * relying party or deny reason. One GROUP BY over the `(event, ts)` index (migration 020), so
 * the work is in the database, not in JavaScript; the same query serves SQLite and PostgreSQL.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../store/schema.js';
import { csvField } from './export.js';

export const REPORT_GROUPS = ['day', 'hour', 'method', 'adapter', 'relying-party', 'reason', 'result'] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

/** The audit events that are a sign-in decision (a password check, a second factor, a denial, a bypass). */
export const AUTHENTICATION_EVENTS = ['primary', 'second-factor', 'challenge', 'bypass-used'] as const;

export const REPORT_RESULTS = ['success', 'failure', 'denied'] as const;

export interface ReportRow {
  /** The day (YYYY-MM-DD, UTC), hour (YYYY-MM-DDTHH:00Z), method, adapter, relying party or reason; '-' when none. */
  key: string;
  success: number;
  failure: number;
  denied: number;
  total: number;
}

export interface ReportQuery {
  by: ReportGroup;
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

function keyExpression(by: ReportGroup): RawBuilder<unknown> {
  switch (by) {
    case 'day':
      return sql`(ts / ${sql.lit(DAY)})`;
    case 'hour':
      return sql`(ts / ${sql.lit(HOUR)})`;
    case 'method':
      return sql`method`;
    case 'adapter':
      return sql`adapter`;
    case 'relying-party':
      return sql`relying_party`;
    case 'reason':
      return sql`deny_reason`;
    case 'result':
      return sql`result`;
  }
}

function keyLabel(by: ReportGroup, raw: unknown): string {
  if (raw === null || raw === undefined || raw === '') return '-';
  if (by === 'day') return new Date(Number(raw) * DAY).toISOString().slice(0, 10);
  if (by === 'hour') return `${new Date(Number(raw) * HOUR).toISOString().slice(0, 13)}:00Z`;
  return String(raw);
}

/** Counts per group and result, in key order (time order for day and hour). */
export async function authenticationReport(db: Kysely<Database>, q: ReportQuery): Promise<ReportRow[]> {
  const key = keyExpression(q.by);
  let query = db
    .selectFrom('audit_events')
    .select([key.as('k'), 'result', (eb) => eb.fn.countAll().as('n')])
    .where('event', 'in', [...AUTHENTICATION_EVENTS])
    .where('ts', '>=', q.since)
    .where('ts', '<', q.until);
  if (q.by === 'reason') query = query.where('deny_reason', 'is not', null);
  const rows = await query.groupBy([key, 'result']).execute();
  const byKey = new Map<string, ReportRow>();
  for (const r of rows) {
    const label = keyLabel(q.by, r.k);
    const row = byKey.get(label) ?? { key: label, success: 0, failure: 0, denied: 0, total: 0 };
    const n = Number(r.n);
    if (r.result === 'success' || r.result === 'failure' || r.result === 'denied') row[r.result] += n;
    row.total += n;
    byKey.set(label, row);
  }
  const out = [...byKey.values()];
  // Time keys sort as text; counts order the rest, largest first (the "top deny reasons").
  if (q.by === 'day' || q.by === 'hour') out.sort((a, b) => a.key.localeCompare(b.key));
  else out.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  return out;
}

const COLUMNS = ['key', 'success', 'failure', 'denied', 'total'] as const;

export function reportCsv(by: ReportGroup, rows: ReportRow[]): string {
  const head = [by, ...COLUMNS.slice(1)].join(',');
  return `${[head, ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n')}\r\n`;
}

export function reportTable(by: ReportGroup, rows: ReportRow[]): string {
  const cells = [[by.toUpperCase(), 'SUCCESS', 'FAILURE', 'DENIED', 'TOTAL'], ...rows.map((r) => [r.key.replace(/[\r\n\t]/g, ' '), ...COLUMNS.slice(1).map((c) => String(r[c]))])];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
