/**
 * "This wasn't me" (issue 20) on a real host with a real SMTP server (smtp-server package): the
 * report from the challenge page ends the challenge, blocks the next sign-in's second factor
 * (mode block) until an admin enables the user, mails the configured admin, and is audited
 * `fraud-report`; under mode report nothing is blocked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { Browser, field, secretOnPage } from './harness.js';
import { main } from '../../src/cli/main.js';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function fraudHost(smtp: TestSmtpServer, mode: 'block' | 'report') {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: {
      delivery: { smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
      policies: { fraud: { mode, notify: ['secops@example.test'] }, rules: [{ name: 'remember', rememberDeviceDays: 7 }] },
    },
  });
  cleanup.push(() => h.close());
  return { h, clock, db: h.host.api.store.db };
}

/** Password sign-in of alice; answers the challenge page (enrolling TOTP the first time). */
async function toChallenge(b: Browser) {
  const form = await b.get('/login');
  const path = (await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' })).headers.get('location')!;
  return { path, page: await b.get(path) };
}

async function cli(argv: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.on('data', (d: Buffer) => (text += d.toString()));
  const code = await main(argv, { stdout: out as unknown as NodeJS.WriteStream, stderr: err as unknown as NodeJS.WriteStream, stdin: new PassThrough() as unknown as NodeJS.ReadStream, env: { USER: 'jo' } });
  return { code, text };
}

describe('fraud report from the challenge page', () => {
  it('mode block: ends the challenge, blocks the next sign-in, revokes remembered devices, mails the admin, audited; users enable lifts it', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { h, clock, db } = await fraudHost(smtp, 'block');

    // Alice enrols and remembers this browser.
    const mine = new Browser(h.url);
    const first = await toChallenge(mine);
    const s = decodeBase32(secretOnPage(first.page.body));
    if (!s.ok) throw new Error('no secret');
    clock.advance(30_000);
    await mine.post(first.path, { _csrf: field(first.page.body, '_csrf'), method: field(first.page.body, 'method'), code: generateTotp(s.bytes, clock.now()), remember: '1' });
    expect(await db.selectFrom('remembered_devices').select('revoked_at').execute()).toEqual([{ revoked_at: null }]);

    // Someone with her password reaches the challenge; she presses "I didn't try to sign in" on it.
    const attacker = new Browser(h.url);
    const { path, page } = await toChallenge(attacker);
    expect(page.body).toContain('I didn’t try to sign in: report it');
    const r = await attacker.post(path, { _csrf: field(page.body, '_csrf'), fraud: '1' });
    expect(r.status).toBe(401); // the host's denied page
    expect(r.body).not.toContain('name="code"');
    const challenge = await db.selectFrom('challenges').select(['status', 'deny_reason']).where('id', '=', path.slice(5)).executeTakeFirstOrThrow();
    expect(challenge).toEqual({ status: 'resumed', deny_reason: 'FRAUD_REPORTED' });

    const reports = await db.selectFrom('fraud_reports').selectAll().execute();
    expect(reports).toMatchObject([{ channel: 'page', mode: 'block', method: 'totp', client_ip: '127.0.0.1', cleared_at: null }]);
    const audit = await db.selectFrom('audit_events').selectAll().where('event', '=', 'fraud-report').execute();
    expect(audit).toMatchObject([{ result: 'denied', deny_reason: 'FRAUD_REPORTED', challenge_id: path.slice(5) }]);
    expect(audit[0]!.detail).toBe('page: the user reported a sign-in they did not start; mode block, second factor blocked, 1 remembered device(s) revoked');
    expect(await db.selectFrom('remembered_devices').select('revoked_reason').execute()).toEqual([{ revoked_reason: 'fraud-report' }]);

    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.rcptTo).toEqual(['secops@example.test']);
    expect(smtp.mails[0]!.raw).toContain('Subject: [factorgate] Fraud report: alice');
    expect(smtp.mails[0]!.raw).toContain('Alice Martin (alice) reported a sign-in they did not start.');

    // The next sign-in, even from her own remembered browser, is denied without a factor.
    const next = await toChallenge(mine);
    expect(next.page.body).not.toContain('name="code"');
    const denied = await db.selectFrom('audit_events').select(['deny_reason']).where('event', '=', 'challenge').where('result', '=', 'denied').execute();
    expect(denied.map((d) => d.deny_reason)).toContain('FRAUD_BLOCKED');

    // An admin lifts the block.
    const enabled = await cli(['users', 'enable', 'alice', '--reason', 'phoned alice, password reset', '--config', join(h.dir, 'factorgate.yaml')]);
    expect(enabled).toMatchObject({ code: 0 });
    expect((await db.selectFrom('fraud_reports').select(['cleared_by']).executeTakeFirstOrThrow()).cleared_by).toBe('cli:jo');
    const after = await toChallenge(new Browser(h.url));
    expect(after.page.body).toContain('name="code"');
  });

  it('mode report: records and mails, blocks nothing', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { h, db } = await fraudHost(smtp, 'report');
    const b = new Browser(h.url);
    const { path, page } = await toChallenge(b);
    await b.post(path, { _csrf: field(page.body, '_csrf'), fraud: '1' });
    expect(await db.selectFrom('fraud_reports').select(['mode']).execute()).toEqual([{ mode: 'report' }]);
    expect(smtp.mails).toHaveLength(1);
    expect((await db.selectFrom('users').select('fraud_blocked_at').where('username', '=', 'alice').executeTakeFirstOrThrow()).fraud_blocked_at).toBeNull();
    expect((await toChallenge(new Browser(h.url))).page.body).toContain('name="code"');
  });

  it('a report without the form\'s CSRF token is refused and changes nothing', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { h, db } = await fraudHost(smtp, 'block');
    const b = new Browser(h.url);
    const { path } = await toChallenge(b);
    expect((await b.post(path, { fraud: '1' })).status).toBe(403);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    expect(smtp.mails).toHaveLength(0);
  });
});
