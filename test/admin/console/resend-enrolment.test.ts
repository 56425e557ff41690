/**
 * "Resend the enrolment mail" from a user's console page: the same mail as `users notify --user`
 * (the authenticator-app mail to a user who holds one), received by a real SMTP server
 * (smtp-server), recorded in user_notifications and audited with the admin's name and reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { Browser, field } from '../../challenge/harness.js';
import type { Store } from '../../../src/store/store.js';
import { startSmtpServer, type TestSmtpServer } from '../../delivery/support/smtp-server.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, enrolAtLogin, signInToConsole, storeOf } from './console-support.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let smtp: TestSmtpServer;
let store: Store;
const hd = new Browser('');

beforeAll(async () => {
  smtp = await startSmtpServer();
  h = await startHost({
    clock,
    users: CONSOLE_USERS,
    config: { admin: { roles: CONSOLE_ROLES }, delivery: { smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } } },
  });
  store = await storeOf(h);
  hd.base = h.url;
  clock.advance(30_000);
  await signInToConsole(hd, clock, consoleUser('hd'));
  clock.advance(30_000);
  await enrolAtLogin(new Browser(h.url), clock, consoleUser('alice'));
});
afterAll(async () => {
  await store?.close();
  await h?.close();
  await smtp?.close();
});

describe('resend the enrolment mail', () => {
  it('sends the same mail as users notify to the user, records it, and audits it', async () => {
    const page = await hd.get('/admin/users/alice');
    expect(page.body).toContain('href="/admin/users/alice/confirm/resend-enrolment"');
    const confirm = await hd.get('/admin/users/alice/confirm/resend-enrolment');
    expect(confirm.body).toContain('Sends the enrolment mail again to alice@example.test.');
    const done = await hd.post('/admin/users/alice/do/resend-enrolment', { _csrf: field(confirm.body, '_csrf'), reason: 'never got it' });
    expect(done.status).toBe(303);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.rcptTo).toEqual(['alice@example.test']);
    const sent = await store.db.selectFrom('user_notifications').innerJoin('users', 'users.id', 'user_notifications.user_id').select(['user_notifications.method']).where('users.username', '=', 'alice').execute();
    expect(sent).toEqual([{ method: 'app' }]);
    const audit = await store.db.selectFrom('audit_events').select('detail').where('event', '=', 'admin-action').execute();
    expect(audit.map((a) => JSON.parse(a.detail!) as Record<string, unknown>)).toEqual([expect.objectContaining({ action: 'resend-enrolment', admin: 'console:hd', reason: 'never got it', method: 'app' })]);
  });

  it('refuses the post without its CSRF token and sends nothing', async () => {
    const before = smtp.mails.length;
    expect((await hd.post('/admin/users/alice/do/resend-enrolment', { reason: 'x' })).status).toBe(403);
    expect(smtp.mails.length).toBe(before);
  });
});
