/**
 * The fraud key of a press-pound call (issue 20), on a real host with a real SMTP server: the
 * call says "#" approves and "0 then #" reports (the MFA Server's convention, en and fr); a
 * signed callback carrying `0` (Twilio's X-Twilio-Signature, the http provider's HMAC header)
 * files the report exactly as the page's button and the mailed link do — fraud_reports row
 * (channel voice), `fraud-report` audit, admin mail, challenge ended, next sign-in blocked. A
 * forged signature, a second `0` and a `0` after the call's lifetime report nothing.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { signBody } from '../../src/delivery/index.js';
import { voiceScript } from '../../src/delivery/messages.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { Browser, httpProvider, pressSend, signIn, startRecorder, type Recorder } from '../factors/support/delivered.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const HMAC_SECRET = 'http-gateway-hmac-secret-0123456789';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function voiceHost(provider: (rec: Recorder) => Record<string, unknown>, mode: 'block' | 'report' = 'block') {
  const smtp: TestSmtpServer = await startSmtpServer();
  cleanup.push(() => smtp.close());
  const rec = await startRecorder((_req, i) => ({ status: 201, body: JSON.stringify({ sid: `CA${String(i).padStart(32, '0')}`, id: `call-${i}` }) }));
  cleanup.push(() => rec.close());
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: {
      factors: { voice: { mode: 'press-pound' } },
      delivery: {
        defaultRegion: 'FR',
        voice: provider(rec),
        smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' },
      },
      policies: { fraud: { mode, notify: ['secops@example.test'] } },
    },
  });
  cleanup.push(() => h.close());
  return { h, rec, smtp, clock, db: h.host.api.store.db };
}

const twilio = (rec: Recorder) => ({ type: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', baseUrl: rec.url, retries: 0 });

function twilioSignature(url: string, params: Record<string, string>, token = AUTH_TOKEN): string {
  let data = url;
  for (const k of Object.keys(params).sort()) data += k + params[k];
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

/** Twilio's Gather action request after a key press, signed with `token`. */
function twilioKey(callbackUrl: string, digits: string, token = AUTH_TOKEN) {
  const params = { AccountSid: ACCOUNT_SID, CallSid: `CA${'1'.repeat(32)}`, Digits: digits, From: '+15005550006', To: '+33612345678' };
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(callbackUrl, params, token) },
    body: new URLSearchParams(params).toString(),
  });
}

/** The http gateway's callback: a JSON body signed "t=<unix>,v1=<HMAC-SHA256>" like our own requests. */
function httpKey(callbackUrl: string, digits: string, nowMs: number, secret = HMAC_SECRET) {
  const body = JSON.stringify({ digits });
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-factorgate-signature': signBody(secret, Math.floor(nowMs / 1000), body) },
    body,
  });
}

function twilioCallbackUrl(body: string): { url: string; twiml: string } {
  const twiml = new URLSearchParams(body).get('Twiml')!;
  const m = /action="([^"]+)"/.exec(twiml);
  if (!m) throw new Error(`no Gather action in ${twiml}`);
  return { url: m[1]!.replace(/&amp;/g, '&'), twiml };
}

/** Someone with alice's password starts a sign-in and has the call placed. */
async function callPlaced(h: RunningHost) {
  const attacker = new Browser(h.url);
  const path = await signIn(attacker);
  await pressSend(attacker, path);
  return { attacker, path, challengeId: path.slice(5) };
}

describe('the fraud key of a press-pound call', () => {
  it('says the keys in en and fr: # approves, 0 then # reports', () => {
    expect(voiceScript('en', 'Contoso MFA').pressPound).toBe(
      'This is Contoso MFA. To approve your sign-in, press the pound key. If you did not try to sign in, press zero, then the pound key.',
    );
    expect(voiceScript('fr', 'Contoso MFA').pressPound).toBe(
      "Ceci est Contoso MFA. Pour confirmer votre connexion, appuyez sur la touche dièse. Si vous n'êtes pas à l'origine de cette demande, appuyez sur zéro, puis sur la touche dièse.",
    );
  });

  it('twilio: a signed Digits=0 reports (channel voice), ends the challenge, mails the admin and blocks the next sign-in; a second 0 files nothing', async () => {
    const { h, rec, smtp, db } = await voiceHost(twilio);
    const { attacker, path, challengeId } = await callPlaced(h);
    const { url, twiml } = twilioCallbackUrl(rec.requests[0]!.body);
    expect(twiml).toContain('If you did not try to sign in, press zero, then the pound key.');
    expect(twiml).toContain('numDigits="1"');

    const r = await twilioKey(url, '0');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await r.text()).toContain('The sign-in is reported and stopped');

    expect(await db.selectFrom('fraud_reports').select(['channel', 'mode', 'method', 'challenge_id']).execute()).toEqual([
      { channel: 'voice', mode: 'block', method: 'voice', challenge_id: challengeId },
    ]);
    const audit = await db.selectFrom('audit_events').select(['event', 'result', 'deny_reason', 'detail']).where('event', 'in', ['fraud-report', 'voice-callback']).orderBy('ts').orderBy(sql`rowid`).execute();
    expect(audit.map(({ event, result, deny_reason }) => ({ event, result, deny_reason }))).toEqual([
      { event: 'fraud-report', result: 'denied', deny_reason: 'FRAUD_REPORTED' },
      { event: 'voice-callback', result: 'failure', deny_reason: 'FRAUD_REPORTED' },
    ]);
    expect(audit[0]!.detail).toMatch(/^voice: the user reported a sign-in they did not start; mode block, second factor blocked/);
    expect(await db.selectFrom('challenges').select(['status', 'deny_reason']).where('id', '=', challengeId).executeTakeFirstOrThrow()).toEqual({ status: 'denied', deny_reason: 'FRAUD_REPORTED' });
    const mails = smtp.mails.filter((m) => m.rcptTo.includes('secops@example.test'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain('Subject: [factorgate] Fraud report: alice');
    expect(mails[0]!.raw).toContain('Reported from: voice');

    // The attacker's Continue finds the challenge over.
    const page = await attacker.get(path);
    expect(page.body).not.toContain('name="confirm"');
    expect((await attacker.post(path, { method: 'x', confirm: '1' })).status).not.toBe(303);
    // The next sign-in is blocked before any call is placed.
    const next = new Browser(h.url);
    await next.get(await signIn(next));
    expect(rec.requests).toHaveLength(1);
    expect((await db.selectFrom('audit_events').select('deny_reason').where('event', '=', 'challenge').where('result', '=', 'denied').execute()).map((a) => a.deny_reason)).toContain('FRAUD_BLOCKED');

    // The caller presses 0 again (or Twilio retries): refused, logged, no second report or mail.
    const again = await twilioKey(url, '0');
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Sign-in not approved.');
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toHaveLength(1);
    expect(smtp.mails.filter((m) => m.rcptTo.includes('secops@example.test'))).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('ALREADY_REPORTED');
  });

  it('twilio: a Digits=0 with a forged or missing signature is refused (403) and reports nothing', async () => {
    const { h, rec, smtp, db } = await voiceHost(twilio);
    const { challengeId } = await callPlaced(h);
    const { url } = twilioCallbackUrl(rec.requests[0]!.body);
    expect((await twilioKey(url, '0', 'not-the-auth-token')).status).toBe(403);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Digits=0' });
    expect(unsigned.status).toBe(403);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('challenges').select('status').where('id', '=', challengeId).executeTakeFirstOrThrow()).toEqual({ status: 'pending' });
    expect(smtp.mails).toEqual([]);
    expect(await db.selectFrom('audit_events').select(['result', 'deny_reason']).where('event', '=', 'voice-callback').execute()).toEqual([
      { result: 'failure', deny_reason: 'BAD_SIGNATURE' },
      { result: 'failure', deny_reason: 'BAD_SIGNATURE' },
    ]);
  });

  it('http provider: a body {"digits":"0#"} with a good HMAC reports (mode report: nothing blocked); a forged HMAC and a 0 after the call expired report nothing', async () => {
    const { h, rec, smtp, clock, db } = await voiceHost((r) => httpProvider(r, '/call', { hmacSecret: HMAC_SECRET }), 'report');
    const first = await callPlaced(h);
    const call = JSON.parse(rec.requests[0]!.body) as { message: string; callbackUrl: string; mode: string };
    expect(call.mode).toBe('press-pound');
    expect(call.message).toContain('press zero, then the pound key');

    const forged = await httpKey(call.callbackUrl, '0#', clock.now(), 'another-secret-0123456789abcdef');
    expect(forged.status).toBe(403);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);

    const r = await httpKey(call.callbackUrl, '0#', clock.now());
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'fraud-reported' });
    expect(await db.selectFrom('fraud_reports').select(['channel', 'mode', 'challenge_id']).execute()).toEqual([{ channel: 'voice', mode: 'report', challenge_id: first.challengeId }]);
    expect(await db.selectFrom('users').select('fraud_blocked_at').where('username', '=', 'alice').executeTakeFirstOrThrow()).toEqual({ fraud_blocked_at: null });
    expect(smtp.mails.filter((m) => m.rcptTo.includes('secops@example.test'))).toHaveLength(1);

    // Mode report blocks nothing: a second sign-in gets its call; its 0 after the call's lifetime (300 s) is refused.
    await callPlaced(h);
    const late = JSON.parse(rec.requests[1]!.body) as { callbackUrl: string };
    clock.advance(301_000);
    const expired = await httpKey(late.callbackUrl, '0', clock.now());
    expect(expired.status).toBe(200);
    expect(await expired.json()).toEqual({ status: 'not-approved' });
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toHaveLength(1);
    expect((await db.selectFrom('audit_events').select('deny_reason').where('event', '=', 'voice-callback').execute()).map((a) => a.deny_reason)).toEqual([
      'BAD_SIGNATURE',
      'FRAUD_REPORTED',
      'EXPIRED_OR_USED',
    ]);
  });
});
