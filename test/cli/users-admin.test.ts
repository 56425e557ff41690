/**
 * `factorgate users show|reset|bypass|disable|enable` and `audit report`, through the command's
 * own entry point (`main`) on a real configuration file and SQLite store.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/audit/logger.js';
import { ManualClock } from '../../src/kit/clock.js';
import { makeTempDir } from '../support/host-harness.js';

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end('');
  const code = await main(argv, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    env: { USER: 'jo' },
  });
  return { code, out, err };
}

async function setup() {
  const dir = makeTempDir('fg-users-admin-');
  writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(file, stringify({ dataDir: join(dir, 'data'), directory: { type: 'file', path: 'users.yaml' }, admin: { bypass: { maxMinutes: 30 } } }));
  const dbFile = join(dir, 'data', 'factorgate.db');
  mkdirSync(join(dbFile, '..'), { recursive: true });
  return { file, dbFile };
}

describe('factorgate users show|reset|bypass|disable|enable', () => {
  it('changes the user, prints the result and audits each action under cli:<login> with its reason', async () => {
    const { file, dbFile } = await setup();
    const store = await openStore({ driver: 'sqlite', file: dbFile });
    const clock = new ManualClock(Date.now());
    const ada = await new UserRepository(store.db, clock).upsertFromDirectory({ externalId: 'ada', username: 'ada', displayName: 'Ada Lovelace', phone: '+33612345678', disabled: false }, 'file');
    await store.db.insertInto('factors').values({ id: 'f1', user_id: ada.id, kind: 'totp', label: 'phone', secret_enc: 'x', params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: clock.now(), last_used_at: null }).execute();
    await store.close();

    const show = await runCli(['users', 'show', 'ada', '--config', file]);
    expect(show.code).toBe(0);
    expect(show.out).toContain('Ada Lovelace');
    expect(show.out).toContain('+33612345678'); // the CLI is an admin: numbers in full
    expect(show.out).toMatch(/f1\ttotp\tphone\t-\tenrolled,default/);

    expect((await runCli(['users', 'reset', 'ada', '--config', file])).code).toBe(2); // no --reason
    const reset = await runCli(['users', 'reset', 'ada', '--reason', 'lost phone', '--config', file]);
    expect(reset).toMatchObject({ code: 0, out: expect.stringContaining('1 method(s) removed') as unknown });

    const tooLong = await runCli(['users', 'bypass', 'ada', '--minutes', '31', '--reason', 'x', '--config', file]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.err).toContain('from 1 to 30');
    const bypass = await runCli(['users', 'bypass', 'ada', '--minutes', '10', '--reason', 'travel', '--config', file]);
    expect(bypass.code).toBe(0);
    expect((await runCli(['users', 'disable', 'ada', '--reason', 'left', '--config', file])).out).toBe('disabled ada\n');

    const json = JSON.parse((await runCli(['users', 'show', 'ada', '--json', '--config', file])).out) as { status: string; methods: unknown[]; bypass: { grantedBy: string } | null; history: { event: string; detail: string }[] };
    expect(json.status).toBe('disabled');
    expect(json.methods).toEqual([]);
    expect(json.bypass?.grantedBy).toBe('cli:jo');
    const actions = json.history.filter((h) => h.event === 'admin-action').map((h) => JSON.parse(h.detail) as { action: string; admin: string; reason: string });
    expect(actions.map((a) => a.action).sort()).toEqual(['bypass', 'disable', 'reset-methods']);
    expect(actions.every((a) => a.admin === 'cli:jo')).toBe(true);

    expect((await runCli(['users', 'enable', 'ada', '--reason', 'back', '--config', file])).code).toBe(0);
    const missing = await runCli(['users', 'show', 'nobody', '--config', file]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('factorgate: no user "nobody" in the store (users are added at their first sign-in or by `factorgate users import`)\n');
  });
});

describe('factorgate audit report', () => {
  it('users forget-devices revokes every remembered device of the user, audited with the reason', async () => {
    const { file, dbFile } = await setup();
    const store = await openStore({ driver: 'sqlite', file: dbFile });
    const clock = new ManualClock(Date.now());
    const ada = await new UserRepository(store.db, clock).upsertFromDirectory({ externalId: 'ada', username: 'ada', disabled: false }, 'file');
    const device = (id: string) => ({ id, user_id: ada.id, app: 'wiki', browser_label: 'Firefox on Linux', created_at: clock.now(), last_used_at: clock.now(), expires_at: clock.now() + 86_400_000, revoked_at: null, revoked_reason: null });
    await store.db.insertInto('remembered_devices').values([device('d1'), device('d2')]).execute();
    await store.close();

    const r = await runCli(['users', 'forget-devices', 'ada', '--reason', 'laptop stolen', '--config', file]);
    expect(r.err).toBe('');
    expect(r.out).toBe('forget-devices ada: 2 remembered device(s) revoked; the next sign-ins ask for the second factor\n');
    const after = await openStore({ driver: 'sqlite', file: dbFile });
    expect((await after.db.selectFrom('remembered_devices').select('revoked_reason').execute()).map((d) => d.revoked_reason)).toEqual(['admin', 'admin']);
    const audit = await after.db.selectFrom('audit_events').selectAll().where('event', '=', 'admin-action').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toContain('revoke-devices');
    expect(audit[0]!.detail).toContain('laptop stolen');
    await after.close();
    expect((await runCli(['users', 'forget-devices', 'ada', '--config', file])).code).toBe(2);
  });

  it('counts the sign-ins the audit rows hold, by day, method and reason, as table, CSV and JSON', async () => {
    const { file, dbFile } = await setup();
    const store = await openStore({ driver: 'sqlite', file: dbFile });
    const clock = new ManualClock(Date.UTC(2026, 10, 3, 10));
    const audit = new AuditLog(store.db, clock, createLogger({ level: 'silent' }));
    const made: { day: string; method: string | undefined; result: 'success' | 'failure' | 'denied'; reason: string | undefined }[] = [];
    const plan: [number, string | undefined, 'success' | 'failure' | 'denied', string | undefined][] = [
      [0, 'totp', 'success', undefined], [0, 'totp', 'failure', 'BAD_CODE'], [0, 'sms', 'success', undefined],
      [1, 'totp', 'success', undefined], [1, undefined, 'denied', 'LOCKED'], [1, 'sms', 'failure', 'BAD_CODE'],
      [2, 'totp', 'success', undefined], [2, 'totp', 'success', undefined],
    ];
    for (const [day, method, result, reason] of plan) {
      clock.set(Date.UTC(2026, 10, 3 + day, 10 + made.length));
      await audit.record({ event: result === 'denied' ? 'challenge' : 'second-factor', result, method, denyReason: reason, adapter: 'saml-idp' });
      made.push({ day: new Date(clock.now()).toISOString().slice(0, 10), method, result, reason });
    }
    // Not sign-ins: not counted.
    await audit.record({ event: 'admin-action', result: 'success', detail: '{}' });
    await audit.record({ event: 'code-delivery', result: 'info', method: 'sms' });
    await store.close();

    const json = await runCli(['audit', 'report', '--since', '2026-11-01', '--until', '2026-12-01', '--by', 'day', '--format', 'json', '--config', file]);
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.out) as { rows: { key: string; success: number; failure: number; denied: number; total: number }[] }).rows;
    const days = [...new Set(made.map((m) => m.day))].sort();
    expect(rows.map((r) => r.key)).toEqual(days);
    for (const r of rows) {
      const those = made.filter((m) => m.day === r.key);
      expect(r).toEqual({ key: r.key, success: those.filter((m) => m.result === 'success').length, failure: those.filter((m) => m.result === 'failure').length, denied: those.filter((m) => m.result === 'denied').length, total: those.length });
    }

    const csv = await runCli(['audit', 'report', '--since', '2026-11-01', '--until', '2026-12-01', '--by', 'reason', '--format', 'csv', '--config', file]);
    expect(csv.out).toBe(`reason,success,failure,denied,total\r\nBAD_CODE,0,2,0,2\r\nLOCKED,0,0,1,1\r\n`);

    const table = await runCli(['audit', 'report', '--since', '2026-11-01', '--until', '2026-12-01', '--by', 'method', '--config', file]);
    const totp = made.filter((m) => m.method === 'totp');
    expect(table.out.split('\n')[0]).toMatch(/^METHOD\s+SUCCESS\s+FAILURE\s+DENIED\s+TOTAL$/);
    expect(table.out).toMatch(new RegExp(`^totp\\s+${totp.filter((m) => m.result === 'success').length}\\s+1\\s+0\\s+${totp.length}$`, 'm'));

    // A window that excludes the rows counts nothing; a bad grouping is a usage error.
    expect(JSON.parse((await runCli(['audit', 'report', '--since', '2026-12-01', '--until', '2026-12-02', '--by', 'day', '--format', 'json', '--config', file])).out)).toMatchObject({ rows: [] });
    expect((await runCli(['audit', 'report', '--by', 'colour', '--config', file])).code).toBe(2);
  });
});
