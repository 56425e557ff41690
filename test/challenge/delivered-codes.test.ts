/**
 * The rules every delivered code follows, proved on SMS through real hosts (`startHost`) with
 * the http provider posting to a local recording gateway: expiry on the injected clock, a code
 * bound to its challenge, any host on the store accepting it, the send limits (each refusal
 * audited), a provider that is down, and code + PIN mode.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kit/clock.js';
import { hashPin, verifyPin } from '../../src/delivery/index.js';
import { makeTempDir, startHost, type RunningHost } from '../support/host-harness.js';
import { freePort } from '../support/free-port.js';
import {
  accepting,
  Browser,
  codeOf,
  field,
  httpProvider,
  pressSend,
  signIn,
  startRecorder,
  submitCode,
  switchTo,
  type Recorder,
} from '../factors/support/delivered.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

async function recorder(reply = accepting()): Promise<Recorder> {
  const rec = await startRecorder(reply);
  cleanup.push(() => rec.close());
  return rec;
}

async function host(opts: { rec: Recorder; clock: ManualClock; sms?: Record<string, unknown>; extra?: Record<string, unknown>; dir?: string; smsProvider?: Record<string, unknown> }): Promise<RunningHost> {
  const h = await startHost({
    clock: opts.clock,
    ...(opts.dir ? { dir: opts.dir } : {}),
    config: {
      challenge: { ttlSeconds: 900 },
      factors: { sms: { ...opts.sms }, ...((opts.extra?.factors as object | undefined) ?? {}) },
      delivery: { defaultRegion: 'FR', sms: opts.smsProvider ?? httpProvider(opts.rec, '/sms') },
    },
  });
  cleanup.push(() => h.close());
  return h;
}

async function auditRows(h: RunningHost, event: string) {
  return h.host.api.store.db.selectFrom('audit_events').select(['result', 'method', 'deny_reason', 'detail']).where('event', '=', event).orderBy('ts').orderBy(sql`rowid`).execute();
}

describe('delivered codes: lifetime and binding', () => {
  it('refuses a right code once codeTtlSeconds have passed (EXPIRED), with the neutral message', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, sms: { codeTtlSeconds: 60 } });
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const code = codeOf(rec.requests[0]!);
    clock.advance(60_000);
    const r = await submitCode(b, path, code);
    expect(r.status).toBe(401);
    expect(r.body).toContain('That code could not be accepted. Check it and try again.');
    expect(r.body).not.toMatch(/expired/i);
    expect(await auditRows(h, 'second-factor')).toMatchObject([{ result: 'failure', method: 'sms', deny_reason: 'EXPIRED' }]);

    // One second earlier it would have passed: a new code, answered within its lifetime.
    clock.advance(31_000);
    await pressSend(b, path);
    clock.advance(59_000);
    expect((await submitCode(b, path, codeOf(rec.requests[1]!))).status).toBe(303);
  });

  it('refuses a code sent for one challenge in another challenge of the same user', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock });
    const first = new Browser(h.url);
    const p1 = await signIn(first);
    await pressSend(first, p1);
    const second = new Browser(h.url);
    const p2 = await signIn(second);
    await pressSend(second, p2);
    const [c1, c2] = [codeOf(rec.requests[0]!), codeOf(rec.requests[1]!)];
    if (c1 === c2) return; // one chance in a million: nothing to tell apart
    const r = await submitCode(second, p2, c1);
    expect(r.status).toBe(401);
    expect(await auditRows(h, 'second-factor')).toMatchObject([{ result: 'failure', deny_reason: 'MISMATCH' }]);
    expect((await submitCode(first, p1, c1)).status).toBe(303);
    expect((await submitCode(second, p2, c2)).status).toBe(303);
  });

  it('accepts on host B a code that host A sent, both on one store and key ring', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const dir = makeTempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const a = await host({ rec, clock, dir });
    const b2 = await host({ rec, clock, dir });
    const browser = new Browser(a.url);
    const path = await signIn(browser);
    await pressSend(browser, path);
    expect(rec.requests).toHaveLength(1);
    browser.base = b2.url; // the load balancer now sends this browser to host B
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    const done = await browser.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: codeOf(rec.requests[0]!) });
    expect(done.status).toBe(303);
    expect(await auditRows(b2, 'second-factor')).toMatchObject([{ result: 'success', method: 'sms' }]);
  });
});

describe('delivered codes: send limits', () => {
  it('refuses a resend before resendAfterSeconds, allows it after, and stops at maxSendsPerChallenge; each refusal audited', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, sms: { resendAfterSeconds: 30, maxSendsPerChallenge: 2 } });
    const b = new Browser(h.url);
    const path = await signIn(b);
    expect((await pressSend(b, path)).body).toContain('A code is on its way.');
    const tooSoon = await pressSend(b, path);
    expect(tooSoon.status).toBe(200);
    expect(tooSoon.body).toContain('A code was sent a moment ago. You can ask for another one in 30 seconds.');
    clock.advance(12_400);
    expect((await pressSend(b, path)).body).toContain('You can ask for another one in 18 seconds.');
    clock.advance(17_000);
    expect((await pressSend(b, path)).body).toContain('You can ask for another one in 1 second.');
    expect(rec.requests).toHaveLength(1);

    clock.advance(30_000);
    expect((await pressSend(b, path)).body).toContain('A code is on its way.');
    expect(rec.requests).toHaveLength(2);
    clock.advance(60_000);
    const limit = await pressSend(b, path);
    expect(limit.body).toContain('No more codes can be sent now.');
    expect(rec.requests).toHaveLength(2);

    expect(await auditRows(h, 'code-delivery')).toMatchObject([
      { result: 'success', method: 'sms', deny_reason: null },
      { result: 'failure', method: 'sms', deny_reason: 'RESEND_TOO_SOON' },
      { result: 'failure', method: 'sms', deny_reason: 'RESEND_TOO_SOON' },
      { result: 'failure', method: 'sms', deny_reason: 'RESEND_TOO_SOON' },
      { result: 'success', method: 'sms', deny_reason: null },
      { result: 'failure', method: 'sms', deny_reason: 'CHALLENGE_SEND_LIMIT' },
    ]);
    // Asking for codes is not guessing them: no failure was counted towards the lockout.
    const user = await h.host.api.store.db.selectFrom('users').select('failed_attempts').where('username', '=', 'alice').executeTakeFirstOrThrow();
    expect(user.failed_attempts).toBe(0);
    // Either code still works.
    expect((await submitCode(b, path, codeOf(rec.requests[0]!))).status).toBe(303);
  });

  it('limits sends to one user across challenges (maxSendsPerUserPerHour), and the hour rolls on', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, sms: { maxSendsPerUserPerHour: 2 } });
    for (let i = 0; i < 2; i++) {
      const b = new Browser(h.url);
      expect((await pressSend(b, await signIn(b))).body).toContain('A code is on its way.');
      clock.advance(60_000);
    }
    const b = new Browser(h.url);
    const path = await signIn(b);
    expect((await pressSend(b, path)).body).toContain('No more codes can be sent now.');
    expect(rec.requests).toHaveLength(2);
    const refusals = (await auditRows(h, 'code-delivery')).filter((r) => r.result === 'failure');
    expect(refusals).toMatchObject([{ deny_reason: 'USER_SEND_LIMIT' }]);
    expect(refusals[0]!.detail).toMatch(/allowed again in \d+ s/);

    // An hour after the first send the window has room again (a new sign-in: the old one expired).
    clock.advance(3_600_000 - 2 * 60_000);
    const later = new Browser(h.url);
    expect((await pressSend(later, await signIn(later))).body).toContain('A code is on its way.');
  });
});

describe('delivered codes: a provider that fails', () => {
  it('a gateway answering 503: the page says so and offers the other methods; the audit says why', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder(() => ({ status: 503, body: '{"error":"maintenance"}' }));
    const h = await host({ rec, clock, extra: { factors: { email: { transport: 'console' } } } });
    const b = new Browser(h.url);
    const path = await signIn(b);
    await switchTo(b, path, 'Text message');
    const r = await pressSend(b, path);
    expect(r.status).toBe(200);
    expect(r.body).toContain('We could not reach you by this method just now.');
    expect(r.body).toContain('Use another method');
    expect(r.body).toContain('Use Email');
    const [audit] = await auditRows(h, 'code-delivery');
    expect(audit).toMatchObject({ result: 'failure', method: 'sms', deny_reason: 'DELIVERY_FAILED' });
    expect(audit!.detail).toContain('HTTP 503');
    // No code of that failed send is left to be guessed at.
    expect(await h.host.api.store.db.selectFrom('delivered_codes').selectAll().execute()).toEqual([]);
  });

  it('a gateway that is not listening: same page, the audit names the network error', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const port = await freePort();
    const h = await host({
      rec,
      clock,
      smsProvider: { type: 'http', url: `http://127.0.0.1:${port}/sms`, retries: 0, timeoutMs: 2000 },
      extra: { factors: { email: { transport: 'console' } } },
    });
    const b = new Browser(h.url);
    const path = await signIn(b);
    await switchTo(b, path, 'Text message');
    const r = await pressSend(b, path);
    expect(r.body).toContain('We could not reach you by this method just now.');
    expect(r.body).toContain('Use Email');
    const [audit] = await auditRows(h, 'code-delivery');
    expect(audit).toMatchObject({ result: 'failure', deny_reason: 'DELIVERY_FAILED' });
    expect(audit!.detail).toMatch(/network error: ECONNREFUSED/);
  });
});

describe('delivered codes: the page (issue 26 item 7)', () => {
  it('"Send me a code" comes first; choosing a method only shows it; "Enter the code we sent" after a send', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, extra: { factors: { email: { transport: 'console' } } } });
    const db = h.host.api.store.db;
    const b = new Browser(h.url);
    const path = await signIn(b);
    const sends = async () => (await db.selectFrom('delivery_sends').select(['kind']).execute()).map((r) => r.kind);

    // Two methods (email first, then SMS): the page offers to send, asks for no code yet.
    const first = await b.get(path);
    expect(first.body).toContain('Method: Email. We send a code when you ask for one.');
    expect(first.body).toContain('<button type="submit" id="send" class="">Send me a code</button>');
    expect(first.body).not.toContain('name="code"');
    expect(await sends()).toEqual([]);

    // Choosing SMS to look at it sends nothing…
    const chosen = await switchTo(b, path, 'Text message');
    expect(chosen.status).toBe(303);
    const smsPage = await b.get(path);
    expect(smsPage.body).toContain('Method: Text message. We send a code when you ask for one.');
    expect(smsPage.body).not.toContain('name="code"');
    expect(rec.requests).toHaveLength(0);
    expect(await sends()).toEqual([]);

    // …the second click does, and only then is the code asked for.
    const sent = await pressSend(b, path, smsPage);
    expect(sent.body).toContain('A code is on its way.');
    expect(sent.body).toContain('<label for="code">Enter the code we sent</label>');
    expect(sent.body).toContain('<button type="submit" id="send" class="link">Send a new code</button>');
    expect(sent.body.indexOf('name="code"')).toBeLessThan(sent.body.indexOf('Send a new code'));
    expect(rec.requests).toHaveLength(1);
    // The page remembers the send (a reload, another language)…
    b.acceptLanguage = 'fr';
    const again = await b.get(path);
    expect(again.body).toContain('<label for="code">Saisissez le code envoyé</label>');
    expect(again.body).toContain('Envoyer un nouveau code');
    b.acceptLanguage = 'en';
    // …per method: email, never sent, offers to send again.
    await switchTo(b, path, 'Email');
    const emailPage = await b.get(path);
    expect(emailPage.body).toContain('Send me a code');
    expect(emailPage.body).not.toContain('name="code"');
    expect(await sends()).toEqual(['sms']);

    await switchTo(b, path, 'Text message');
    expect((await submitCode(b, path, codeOf(rec.requests[0]!))).status).toBe(303);
  });

  it('a tampered "send" for another method than the one shown switches without sending', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, extra: { factors: { email: { transport: 'console' } } } });
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    const sms = /name="method" value="(sms:[^"]+)"/.exec(page.body)![1]!;
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: sms, send: '1' });
    expect(r.status).toBe(303);
    expect(rec.requests).toHaveLength(0);
    expect((await b.get(path)).body).toContain('Method: Text message.');
  });
});

describe('code + PIN mode', () => {
  it('offers the method only to users with a PIN, asks for it beside the code, and needs both right', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, sms: { pin: 'required' } });
    const db = h.host.api.store.db;
    const b = new Browser(h.url);
    const path = await signIn(b);
    // No PIN yet: no SMS method; the user meets the enrolment policy (an authenticator app).
    expect((await b.get(path)).body).toContain('totp-secret');

    const alice = await db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    await db.insertInto('user_pins').values({ user_id: alice.id, pin_hash: await hashPin('482913', h.host.api.secrets, alice.id), created_at: T0, updated_at: T0 }).execute();
    const b2 = new Browser(h.url);
    const p2 = await signIn(b2);
    const page = await b2.get(p2);
    expect(page.body).toContain('name="pin"');
    expect(page.body).toMatch(/<input type="password" id="pin" name="pin"/);
    await pressSend(b2, p2, page);
    const code = codeOf(rec.requests[0]!);

    expect((await submitCode(b2, p2, code, { pin: '000000' })).status).toBe(401);
    expect((await submitCode(b2, p2, code, { pin: '' })).status).toBe(401);
    expect((await submitCode(b2, p2, code, { pin: '482913' })).status).toBe(303);
    expect((await auditRows(h, 'second-factor')).map((r) => `${r.result}:${r.deny_reason}`)).toEqual(['failure:MISMATCH', 'failure:MISMATCH', 'success:null']);
    expect(h.logs.join('\n')).not.toContain('482913');
  });

  it('accepts a PIN stored before (bare scrypt) and stores it again peppered, in today\'s format, at that sign-in', async () => {
    const clock = new ManualClock(T0);
    const rec = await recorder();
    const h = await host({ rec, clock, sms: { pin: 'required' } });
    const db = h.host.api.store.db;
    await signIn(new Browser(h.url));
    const alice = await db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    // scrypt("482913", N=32768, r=8, p=1) as the PIN code wrote it, computed with Python's hashlib.
    const legacy = 'scrypt$32768$8$1$EBESExQVFhcYGRobHB0eHw$tP9mCEEcfZSdCV74k3fBADcYmkoDk71u2rdFXv2q4yQ';
    await db.insertInto('user_pins').values({ user_id: alice.id, pin_hash: legacy, created_at: T0, updated_at: T0 }).execute();

    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    await pressSend(b, path, page);
    // A wrong PIN changes nothing.
    expect((await submitCode(b, path, codeOf(rec.requests[0]!), { pin: '000000' })).status).toBe(401);
    expect((await db.selectFrom('user_pins').select('pin_hash').where('user_id', '=', alice.id).executeTakeFirstOrThrow()).pin_hash).toBe(legacy);
    expect((await submitCode(b, path, codeOf(rec.requests[0]!), { pin: '482913' })).status).toBe(303);

    const stored = (await db.selectFrom('user_pins').select('pin_hash').where('user_id', '=', alice.id).executeTakeFirstOrThrow()).pin_hash;
    expect(stored).toMatch(/^fg1\./);
    expect(h.host.api.secrets.decryptText(stored, `pin:${alice.id}`)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPin('482913', stored, h.host.api.secrets, alice.id)).toEqual({ ok: true, needsRehash: false });
    expect(h.logs.some((l) => l.includes('PIN hash upgraded to the current format'))).toBe(true);
    expect(h.logs.join('\n')).not.toContain('482913');
  });
});
