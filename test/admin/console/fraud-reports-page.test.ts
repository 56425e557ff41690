/**
 * The console's fraud reports page (issue 20) over HTTP, as a browser without JavaScript uses it:
 * a report made with the challenge page's button is listed with user, time, method, channel,
 * mode and status; the help desk sees it but may not clear; an admin clears the block with a
 * reason (CSRF-checked, audited `clear-fraud-block` with the admin's name), and the user signs
 * in again. The voice and SMS rows are written as those paths write them (their own tests,
 * test/challenge/fraud-voice.test.ts and fraud-sms.test.ts, drive the real callbacks).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateTotp } from '../../../src/otp/index.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { Browser, field } from '../../challenge/harness.js';
import type { Store } from '../../../src/store/store.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, enrolAtLogin, signInToConsole, storeOf } from './console-support.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let store: Store;
let aliceSecret: Buffer;
const root = new Browser('');
const hd = new Browser('');

/** Someone with alice's password reaches her challenge page and she (or they) presses "I didn't try to sign in". */
async function reportFromPage(): Promise<void> {
  const b = new Browser(h.url);
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: consoleUser('alice').password });
  const path = r.headers.get('location')!;
  const page = await b.get(path);
  const done = await b.post(path, { _csrf: field(page.body, '_csrf'), fraud: '1' });
  expect(done.status).not.toBe(500);
}

/** Alice's own sign-in with her authenticator; answers whether it passed the second factor. */
async function aliceSignsIn(): Promise<boolean> {
  const b = new Browser(h.url);
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: consoleUser('alice').password });
  const path = r.headers.get('location')!;
  const page = await b.get(path);
  if (!page.body.includes('name="code"')) return false;
  clock.advance(30_000);
  const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(aliceSecret, clock.now()) });
  return done.status === 303;
}

const aliceBlocked = async () => (await store.db.selectFrom('users').select('fraud_blocked_at').where('username', '=', 'alice').executeTakeFirstOrThrow()).fraud_blocked_at !== null;

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES }, policies: { fraud: { mode: 'block' } } } });
  store = await storeOf(h);
  root.base = h.url;
  hd.base = h.url;
  clock.advance(30_000);
  await signInToConsole(root, clock, consoleUser('root'));
  clock.advance(30_000);
  await signInToConsole(hd, clock, consoleUser('hd'));
  clock.advance(30_000);
  aliceSecret = await enrolAtLogin(new Browser(h.url), clock, consoleUser('alice'));
  clock.advance(60_000);
  await reportFromPage();
  aliceId = (await store.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await store?.close();
  await h?.close();
});
let aliceId = '';

describe('the fraud reports page', () => {
  it('lists the report with user, method, channel, mode and status; the help desk sees no clear form and may not clear', async () => {
    expect(await aliceBlocked()).toBe(true);
    expect((await hd.get('/admin')).body).toContain('href="/admin/fraud"');
    const page = await hd.get('/admin/fraud');
    expect(page.status).toBe(200);
    const row = /<tr data-report="[^"]+">(.*?)<\/tr>/s.exec(page.body)?.[1] ?? '';
    expect(row).toContain('<a href="/admin/users/alice">Alice Martin</a>');
    expect(row).toContain('<td>totp</td>');
    expect(row).toContain('<td>button on the sign-in page</td>');
    expect(row).toContain('<td>block</td>');
    expect(row).toContain('second factor blocked');
    expect(row).toMatch(/<time datetime="2026-03-01T09:0/);
    expect(page.body).not.toContain('id="clear-alice"');

    const refused = await hd.post('/admin/fraud/clear', { _csrf: field(page.body, '_csrf'), username: 'alice', reason: 'helpdesk tries' });
    expect(refused.status).toBe(403);
    expect(await aliceBlocked()).toBe(true);
  });

  it('shows every channel and mode in words, and a cleared report as cleared by whom', async () => {
    // Older rows as the voice and SMS paths write them: one by voice, cleared; one by SMS reply under mode report.
    const now = clock.now();
    await store.db
      .insertInto('fraud_reports')
      .values([
        { id: randomUUID(), user_id: aliceId, challenge_id: null, method: 'voice', channel: 'voice', mode: 'block', client_ip: null, created_at: now - 86_400_000, cleared_at: now - 3_600_000, cleared_by: 'cli:root' },
        { id: randomUUID(), user_id: aliceId, challenge_id: null, method: 'sms', channel: 'sms', mode: 'report', client_ip: null, created_at: now - 7_200_000, cleared_at: null, cleared_by: null },
      ])
      .execute();
    const body = (await hd.get('/admin/fraud')).body;
    expect(body).toContain('<td>key 0 on the call</td>');
    expect(body).toContain('<td>FRAUD reply to the text</td>');
    expect(body).toContain('<td>report only</td>');
    expect(body).toContain('cleared by cli:root');
    const fr = (await hd.get('/admin/fraud', { 'accept-language': 'fr' })).body;
    expect(fr).toContain('<td>touche 0 pendant l&#39;appel</td>');
    expect(fr).toContain('<td>réponse FRAUDE au SMS</td>');
    await store.db.deleteFrom('fraud_reports').where('user_id', '=', aliceId).where('channel', 'in', ['voice', 'sms']).execute();
  });

  it('an admin clears the block: CSRF and a reason required, audited with the admin\'s name, and alice signs in again', async () => {
    expect(await aliceSignsIn()).toBe(false);
    const page = await root.get('/admin/fraud');
    expect(page.body).toContain('id="clear-alice"');

    expect((await root.post('/admin/fraud/clear', { _csrf: 'forged', username: 'alice', reason: 'checked with her' })).status).toBe(403);
    const noReason = await root.post('/admin/fraud/clear', { _csrf: field(page.body, '_csrf'), username: 'alice', reason: '  ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('a reason is required');
    expect(await aliceBlocked()).toBe(true);

    const done = await root.post('/admin/fraud/clear', { _csrf: field(page.body, '_csrf'), username: 'alice', reason: 'called her: she pressed it by mistake' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('The block of alice is cleared; 1 report(s) marked cleared.');
    expect(done.body).toContain('cleared by console:root');
    expect(done.body).not.toContain('id="clear-alice"');
    expect(await aliceBlocked()).toBe(false);
    const report = await store.db.selectFrom('fraud_reports').select(['cleared_by', 'cleared_at']).executeTakeFirstOrThrow();
    expect(report).toEqual({ cleared_by: 'console:root', cleared_at: clock.now() });
    const audit = await store.db.selectFrom('audit_events').select('detail').where('event', '=', 'admin-action').execute();
    expect(audit.map((a) => JSON.parse(a.detail!) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ action: 'clear-fraud-block', admin: 'console:root', reason: 'called her: she pressed it by mistake', reportsCleared: 1 }),
    );

    // Cleared twice: nothing to clear, a 400 page, no second audit record.
    const again = await root.post('/admin/fraud/clear', { _csrf: field(page.body, '_csrf'), username: 'alice', reason: 'again' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('alice is not blocked by a fraud report');
    expect((await store.db.selectFrom('audit_events').select('detail').where('event', '=', 'admin-action').execute()).filter((a) => a.detail!.includes('clear-fraud-block'))).toHaveLength(1);

    expect(await aliceSignsIn()).toBe(true);
  });
});
