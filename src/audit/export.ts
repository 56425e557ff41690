/** `factorgate audit export --format csv|jsonl [--since ISO]`: streams the audit table. */
import type { Kysely } from 'kysely';
import type { Database, AuditEventRow } from '../store/schema.js';

export const AUDIT_COLUMNS = [
  'id', 'ts', 'event', 'result', 'user_id', 'username', 'given_name', 'surname', 'email', 'phone',
  'device_token', 'method', 'deny_reason', 'server_name', 'server_ip', 'client_ip', 'adapter',
  'relying_party', 'challenge_id', 'detail',
] as const satisfies readonly (keyof AuditEventRow)[];

/** RFC 4180 field quoting; a leading =, +, - or @ is prefixed so spreadsheets do not run it. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function* exportAudit(
  db: Kysely<Database>,
  options: { format: 'csv' | 'jsonl'; since?: number },
): AsyncGenerator<string> {
  if (options.format === 'csv') yield `${AUDIT_COLUMNS.join(',')}\r\n`;
  const pageSize = 1000;
  let lastTs = options.since ?? 0;
  let lastId = '';
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where((eb) => eb.or([eb('ts', '>', lastTs), eb.and([eb('ts', '=', lastTs), eb('id', '>', lastId)])]))
      .orderBy('ts')
      .orderBy('id')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      if (options.format === 'csv') {
        yield `${AUDIT_COLUMNS.map((c) => (c === 'ts' ? new Date(row.ts).toISOString() : csvField(row[c]))).join(',')}\r\n`;
      } else {
        yield `${JSON.stringify({ ...row, ts: new Date(row.ts).toISOString() })}\n`;
      }
    }
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    lastTs = last.ts;
    lastId = last.id;
  }
}
