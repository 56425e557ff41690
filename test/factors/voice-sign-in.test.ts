/**
 * Voice calls through a real host: read-code with the http provider (the code read from what
 * the recording gateway received), and press # with the twilio provider against a local
 * stand-in of Twilio's REST API, the key press reported to the callback with a valid
 * X-Twilio-Signature (and refused with a bad one).
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, codeOf, field, httpProvider, pressSend, signIn, startRecorder, submitCode, type Recorder } from './support/delivered.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-auth-token-for-tests';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function voiceHost(voice: Record<string, unknown>, provider: (rec: Recorder) => Record<string, unknown>) {
  const rec = await startRecorder((_req, i) => ({ status: 201, body: JSON.stringify({ sid: `CA${String(i).padStart(32, '0')}`, id: `call-${i}` }) }));
  cleanup.push(() => rec.close());
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({ clock, config: { factors: { voice }, delivery: { defaultRegion: 'FR', voice: provider(rec) } } });
  cleanup.push(() => h.close());
  return { h, rec, clock, db: h.host.api.store.db };
}

const twilio = (rec: Recorder) => ({ type: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', baseUrl: rec.url, retries: 0 });

/** What Twilio does after the key press: POST the Gather action URL, signed as its docs define. */
function twilioSignature(url: string, params: Record<string, string>, token = AUTH_TOKEN): string {
  let data = url;
  for (const k of Object.keys(params).sort()) data += k + params[k];
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

async function pressPound(callbackUrl: string, signature: (url: string, p: Record<string, string>) => string) {
  const params = { AccountSid: ACCOUNT_SID, CallSid: `CA${'1'.repeat(32)}`, Digits: '#', From: '+15005550006', To: '+33612345678' };
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature(callbackUrl, params) },
    body: new URLSearchParams(params).toString(),
  });
}

function callbackUrlOf(twilioRequestBody: string): string {
  const twiml = new URLSearchParams(twilioRequestBody).get('Twiml')!;
  const m = /action="([^"]+)"/.exec(twiml);
  if (!m) throw new Error(`no Gather action in ${twiml}`);
  return m[1]!.replace(/&amp;/g, '&');
}

describe('signing in with a phone call', () => {
  it('read-code: the gateway is asked to read the code to the E.164 number; the typed code signs in, audited as voice', async () => {
    const { h, rec, db } = await voiceHost({}, (r) => httpProvider(r, '/call'));
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    expect(page.body).toContain('Enter the code read to you in a call to +33 6 •• •• •• 78.');
    await pressSend(b, path, page);
    const call = JSON.parse(rec.requests[0]!.body) as { to: string; mode: string; code: string; message: string };
    expect(call).toMatchObject({ to: '+33612345678', mode: 'read-code' });
    expect(call.message).toContain([...call.code].join(', '));
    expect((await submitCode(b, path, codeOf(rec.requests[0]!))).status).toBe(303);
    expect(await db.selectFrom('audit_events').select(['event', 'method', 'result']).where('event', '=', 'second-factor').execute()).toEqual([
      { event: 'second-factor', method: 'voice', result: 'success' },
    ]);
    expect(h.logs.join('\n')).not.toContain(call.code);
    expect(h.logs.join('\n')).not.toContain('612345678');
  });

  it('press #: Twilio is asked to call with a Gather; its signed callback approves, and Continue signs in', async () => {
    const { h, rec, db } = await voiceHost({ mode: 'press-pound' }, twilio);
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    expect(page.body).toContain('press the # key, then choose Continue');
    expect(page.body).not.toContain('name="code"');
    await pressSend(b, path, page);

    expect(rec.requests).toHaveLength(1);
    const sent = rec.requests[0]!;
    expect(sent.url).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    const form = new URLSearchParams(sent.body);
    expect(form.get('To')).toBe('+33612345678');
    const callbackUrl = callbackUrlOf(sent.body);
    expect(callbackUrl).toMatch(new RegExp(`^${h.url}/mfa/voice-callback\\?token=[A-Za-z0-9_-]{43}$`));

    // Continue before the key press: not approved yet, and not counted as a failure.
    const early = await b.get(path);
    const notYet = await b.post(path, { _csrf: field(early.body, '_csrf'), method: field(early.body, 'method'), confirm: '1' });
    expect(notYet.status).toBe(200);
    expect(notYet.body).toContain('We have not received your confirmation yet.');

    const cb = await pressPound(callbackUrl, twilioSignature);
    expect(cb.status).toBe(200);
    expect(cb.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await cb.text()).toContain('Your sign-in is approved.');

    const now = await b.get(path);
    const done = await b.post(path, { _csrf: field(now.body, '_csrf'), method: field(now.body, 'method'), confirm: '1' });
    expect(done.status).toBe(303);
    expect((await b.get('/login')).body).toContain('You are signed in as Alice Martin.');
    const audit = await db.selectFrom('audit_events').select(['event', 'result', 'method', 'deny_reason']).orderBy('ts').execute();
    expect(audit.filter((a) => a.method === 'voice')).toEqual([
      { event: 'code-delivery', result: 'success', method: 'voice', deny_reason: null },
      { event: 'voice-callback', result: 'success', method: 'voice', deny_reason: null },
      { event: 'second-factor', result: 'success', method: 'voice', deny_reason: null },
    ]);
    const user = await db.selectFrom('users').select('failed_attempts').where('username', '=', 'alice').executeTakeFirstOrThrow();
    expect(user.failed_attempts).toBe(0);
    // The callback token never reaches the log (the request log redacts token=).
    const token = new URL(callbackUrl).searchParams.get('token')!;
    expect(h.logs.join('\n')).not.toContain(token);
  });

  it('press #: a callback with a bad signature is refused (403, audited BAD_SIGNATURE) and approves nothing', async () => {
    const { h, rec, db } = await voiceHost({ mode: 'press-pound' }, twilio);
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const callbackUrl = callbackUrlOf(rec.requests[0]!.body);

    const forged = await pressPound(callbackUrl, (url, p) => twilioSignature(url, p, 'not-the-auth-token'));
    expect(forged.status).toBe(403);
    const unsigned = await pressPound(callbackUrl, () => '');
    expect(unsigned.status).toBe(403);
    // A signature over another URL (a replay of some other call's callback) fails too.
    const otherUrl = await pressPound(callbackUrl, (_url, p) => twilioSignature(`${h.url}/mfa/voice-callback?token=${'A'.repeat(43)}`, p));
    expect(otherUrl.status).toBe(403);

    const refusals = await db.selectFrom('audit_events').select(['result', 'deny_reason']).where('event', '=', 'voice-callback').execute();
    expect(refusals).toEqual(Array(3).fill({ result: 'failure', deny_reason: 'BAD_SIGNATURE' }));
    const page = await b.get(path);
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), confirm: '1' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('We have not received your confirmation yet.');
    const row = await db.selectFrom('delivered_codes').select(['confirmed_at', 'consumed_at']).executeTakeFirstOrThrow();
    expect(row).toEqual({ confirmed_at: null, consumed_at: null });
  });

  it('press #: an unknown token is 404 and a key other than # does not approve', async () => {
    const { h, rec, db } = await voiceHost({ mode: 'press-pound' }, twilio);
    expect((await pressPound(`${h.url}/mfa/voice-callback?token=${'B'.repeat(43)}`, twilioSignature)).status).toBe(404);
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const callbackUrl = callbackUrlOf(rec.requests[0]!.body);
    const params = { CallSid: `CA${'2'.repeat(32)}`, Digits: '5' };
    const r = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(callbackUrl, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('Sign-in not approved.');
    expect(await db.selectFrom('audit_events').select(['result', 'deny_reason']).where('event', '=', 'voice-callback').execute()).toEqual([
      { result: 'failure', deny_reason: 'NOT_PRESSED' },
    ]);
  });
});
