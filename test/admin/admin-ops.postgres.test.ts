/**
 * The help-desk operations and the authentication report on PostgreSQL: the same Kysely
 * queries as on SQLite (bigint time division for day/hour groups, counts read back as text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { openStore, type Store } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/audit/logger.js';
import { ManualClock } from '../../src/kit/clock.js';
import { UserAdmin } from '../../src/admin/user-admin.js';
import { authenticationReport, runReport } from '../../src/audit/report.js';
import { queryAudit } from '../../src/audit/audit-query.js';
import { rootConfigSchema } from '../../src/config/schema.js';

let pg: TestPostgres;
let store: Store;

beforeAll(async () => {
  pg = await startPostgres();
  store = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 3 });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

describe('admin operations on PostgreSQL', () => {
  it('grants, shows and audits a bypass, disables, and reports sign-ins by day and reason', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 3, 23, 30));
    const audit = new AuditLog(store.db, clock, createLogger({ level: 'silent' }));
    const admin = new UserAdmin({ db: store.db, clock, audit, config: rootConfigSchema.parse({}) });
    await new UserRepository(store.db, clock).upsertFromDirectory({ externalId: 'ada', username: 'ada', disabled: false }, 'file');

    await admin.grantBypass('ada', 10, { name: 'api:bot' }, 'ticket 1');
    await admin.setDisabled('ada', true, { name: 'api:bot' }, 'ticket 2');
    const shown = await admin.show('ada', { revealAddresses: false });
    expect(shown).toMatchObject({ status: 'disabled', disabledBy: ['admin'], bypass: { grantedBy: 'api:bot', reason: 'ticket 1' } });
    expect(shown.history.filter((h) => h.event === 'admin-action')).toHaveLength(2);

    await audit.record({ event: 'second-factor', result: 'success', method: 'totp' });
    await audit.record({ event: 'second-factor', result: 'failure', method: 'totp', denyReason: 'BAD_CODE' });
    clock.advance(3600_000); // past midnight UTC: the next day
    await audit.record({ event: 'challenge', result: 'denied', denyReason: 'LOCKED' });
    const window = { since: Date.UTC(2026, 10, 1), until: Date.UTC(2026, 11, 1) };
    expect(await authenticationReport(store.db, { by: 'day', ...window })).toEqual([
      { key: '2026-11-03', success: 1, failure: 1, denied: 0, total: 2 },
      { key: '2026-11-04', success: 0, failure: 0, denied: 1, total: 1 },
    ]);
    expect(await authenticationReport(store.db, { by: 'hour', ...window })).toMatchObject([{ key: '2026-11-03T23:00Z', total: 2 }, { key: '2026-11-04T00:00Z', total: 1 }]);
    expect(await authenticationReport(store.db, { by: 'reason', ...window })).toEqual([
      { key: 'BAD_CODE', success: 0, failure: 1, denied: 0, total: 1 },
      { key: 'LOCKED', success: 0, failure: 0, denied: 1, total: 1 },
    ]);
  });

  it('runs every report kind, grouping and filter, and pages the audit, on PostgreSQL', async () => {
    const clock = new ManualClock(Date.UTC(2026, 9, 5, 8));
    const audit = new AuditLog(store.db, clock, createLogger({ level: 'silent' }));
    const planned: [string, 'success' | 'failure' | 'denied', string | undefined, string, string][] = [
      ['second-factor', 'success', undefined, 'crm', 'zoe'],
      ['second-factor', 'failure', 'BAD_CODE', 'crm', 'zoe'],
      ['primary', 'denied', 'RATE_LIMITED', 'mail', 'yan'],
      ['challenge', 'denied', 'LOCKED', 'crm', 'zoe'],
      ['bypass-used', 'success', undefined, 'mail', 'yan'],
      ['fraud-report', 'success', undefined, 'crm', 'zoe'],
    ];
    for (const [event, result, denyReason, relyingParty, username] of planned) {
      clock.advance(60_000);
      await audit.record({ event, result, denyReason, relyingParty, username, adapter: 'saml-idp', method: 'totp' });
    }
    const window = { since: Date.UTC(2026, 9, 5), until: Date.UTC(2026, 9, 6) };
    const signIns = planned.filter((p) => p[0] !== 'fraud-report');
    expect(await runReport(store.db, 'sign-ins', { by: 'relying-party', ...window })).toEqual([
      { key: 'crm', success: 1, failure: 1, denied: 1, total: 3 },
      { key: 'mail', success: 1, failure: 0, denied: 1, total: 2 },
    ]);
    expect((await runReport(store.db, 'sign-ins', { by: 'day', ...window })).map((r) => r.total)).toEqual([signIns.length]);
    expect(await runReport(store.db, 'lockouts', { by: 'user', ...window })).toEqual([
      { key: 'yan', success: 0, failure: 0, denied: 1, total: 1 },
      { key: 'zoe', success: 0, failure: 0, denied: 1, total: 1 },
    ]);
    expect(await runReport(store.db, 'deny-reasons', { by: 'reason', ...window, filter: { relyingParty: 'crm' } })).toEqual([
      { key: 'BAD_CODE', success: 0, failure: 1, denied: 0, total: 1 },
      { key: 'LOCKED', success: 0, failure: 0, denied: 1, total: 1 },
    ]);
    expect(await runReport(store.db, 'bypasses', { by: 'user', ...window })).toEqual([{ key: 'yan', success: 1, failure: 0, denied: 0, total: 1 }]);
    expect(await runReport(store.db, 'fraud-reports', { by: 'day', ...window, filter: { username: 'ZOE' } })).toEqual([{ key: '2026-10-05', success: 1, failure: 0, denied: 0, total: 1 }]);

    const first = await queryAudit(store.db, { username: 'zoe', ...window }, { limit: 2 });
    const rest = await queryAudit(store.db, { username: 'zoe', ...window }, { limit: 10, cursor: first.next! });
    expect([...first.records, ...rest.records].map((r) => r.event)).toEqual(planned.filter((p) => p[4] === 'zoe').map((p) => p[0]).reverse());
    expect(rest.next).toBeNull();
  });
});
