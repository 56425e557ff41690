import type { Kysely } from 'kysely';

/**
 * Indexes for the admin reports and look-ups (issue 18):
 * - `audit_events_report` (event, ts, result, deny_reason, method, adapter, relying_party,
 *   username): every report filters on the event and a time range and groups by one of the
 *   other columns, so the index covers it and a report reads only the index range of its
 *   window, never the table (measured by `npm run bench -- --only audit-report`). It replaces
 *   migration 020's (event, ts), its prefix.
 * - `audit_events_username_ts` (username, ts): the API's audit query by user name without a
 *   scan (migration 024's (user_id, ts) serves the user page and list).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('audit_events_report')
    .on('audit_events')
    .columns(['event', 'ts', 'result', 'deny_reason', 'method', 'adapter', 'relying_party', 'username'])
    .execute();
  await db.schema.dropIndex('audit_events_event_ts').execute();
  await db.schema.createIndex('audit_events_username_ts').on('audit_events').columns(['username', 'ts']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_username_ts').execute();
  await db.schema.createIndex('audit_events_event_ts').on('audit_events').columns(['event', 'ts']).execute();
  await db.schema.dropIndex('audit_events_report').execute();
}
