/**
 * The FRAUD reply to a texted code (issue 20), on a real host with a real SMTP server: with
 * `delivery.sms.fraudReplies` the text says "Not you? Reply FRAUD" (one segment), and a signed
 * reply FRAUD/FRAUDE at POST /sms/inbound (Twilio's inbound message webhook; the http gateway's
 * JSON with its HMAC header) from the number the code went to, within the code's lifetime,
 * reports that sign-in exactly as the page's button does. A forged signature is 403; an unknown
 * number, an expired code, a repeated reply and another text are ignored with a log line.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/kit/clock.js';
import { signBody } from '../../src/delivery/index.js';
import { ConfigError, loadConfig } from '../../src/host/config/load.js';
import { makeTempDir, startHost, type RunningHost } from '../support/host-harness.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { Browser, httpProvider, pressSend, signIn, startRecorder, submitCode, type Recorder } from '../factors/support/delivered.js';
import { SegmentedMessage } from 'sms-segments-calculator';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const HMAC_SECRET = 'http-gateway-hmac-secret-0123456789';
const ALICE = '+33612345678';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function smsHost(provider: (rec: Recorder) => Record<string, unknown>) {
  const smtp: TestSmtpServer = await startSmtpServer();
  cleanup.push(() => smtp.close());
  const rec = await startRecorder((_req, i) => ({ status: 201, body: JSON.stringify({ sid: `SM${String(i).padStart(32, '0')}`, id: `sms-${i}` }) }));
  cleanup.push(() => rec.close());
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: {
      factors: { sms: {} },
      delivery: { defaultRegion: 'FR', sms: provider(rec), smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
      policies: { fraud: { mode: 'block', notify: ['secops@example.test'] } },
    },
  });
  cleanup.push(() => h.close());
  return { h, rec, smtp, clock, db: h.host.api.store.db };
}

const twilio = (fraudReplies: boolean) => (rec: Recorder) => ({ type: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', baseUrl: rec.url, retries: 0, fraudReplies });

/** Twilio's inbound message webhook: a form POST signed over our public URL and the sorted parameters. */
function twilioReply(h: RunningHost, from: string, body: string, token = AUTH_TOKEN) {
  const url = `${h.url}/sms/inbound`;
  const params = { AccountSid: ACCOUNT_SID, MessageSid: `SM${'7'.repeat(32)}`, From: from, To: '+15005550006', Body: body, NumMedia: '0' };
  let data = url;
  for (const k of Object.keys(params).sort()) data += k + params[k as keyof typeof params];
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': createHmac('sha1', token).update(data, 'utf8').digest('base64') },
    body: new URLSearchParams(params).toString(),
  });
}

function httpReply(h: RunningHost, from: string, text: string, nowMs: number, secret = HMAC_SECRET) {
  const body = JSON.stringify({ from, text });
  return fetch(`${h.url}/sms/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-factorgate-signature': signBody(secret, Math.floor(nowMs / 1000), body) },
    body,
  });
}

/** Someone with alice's password starts a sign-in; the code goes to her phone. */
async function codeTexted(h: RunningHost) {
  const attacker = new Browser(h.url);
  const path = await signIn(attacker);
  await pressSend(attacker, path);
  return { attacker, path, challengeId: path.slice(5) };
}

const adminMails = (smtp: TestSmtpServer) => smtp.mails.filter((m) => m.rcptTo.includes('secops@example.test'));

describe('the FRAUD reply to a texted code', () => {
  it('twilio: the text says "Reply FRAUD" in one segment; a signed FRAUD from alice\'s number reports, mails, ends the sign-in and blocks the next', async () => {
    const { h, rec, smtp, db } = await smsHost(twilio(true));
    const { attacker, path, challengeId } = await codeTexted(h);
    const body = new URLSearchParams(rec.requests[0]!.body).get('Body')!;
    expect(body).toContain('\nNot you? Reply FRAUD\n\n@127.0.0.1 #');
    expect(new SegmentedMessage(body, 'auto').segmentsCount).toBe(1);
    const code = /^([0-9]{6}) /.exec(body)![1]!;

    const r = await twilioReply(h, ALICE, ' fraud. ');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await r.text()).toBe('<Response><Message>Thank you: the sign-in is reported and stopped. Contact your IT support.</Message></Response>');

    expect(await db.selectFrom('fraud_reports').select(['channel', 'mode', 'method', 'challenge_id']).execute()).toEqual([{ channel: 'sms', mode: 'block', method: 'sms', challenge_id: challengeId }]);
    const audit = await db.selectFrom('audit_events').select(['result', 'deny_reason', 'detail']).where('event', '=', 'fraud-report').orderBy('ts').orderBy(sql`rowid`).execute();
    expect(audit).toMatchObject([{ result: 'denied', deny_reason: 'FRAUD_REPORTED' }]);
    expect(audit[0]!.detail).toMatch(/^sms: the user reported a sign-in they did not start; mode block, second factor blocked/);
    expect(adminMails(smtp)).toHaveLength(1);
    expect(adminMails(smtp)[0]!.raw).toContain('Reported from: sms');
    expect(await db.selectFrom('challenges').select(['status', 'deny_reason']).where('id', '=', challengeId).executeTakeFirstOrThrow()).toEqual({ status: 'denied', deny_reason: 'FRAUD_REPORTED' });

    // The texted code no longer signs the attacker in, and the next sign-in is blocked before any text.
    expect((await attacker.post(path, { method: 'x', code })).status).not.toBe(303);
    const next = new Browser(h.url);
    await next.get(await signIn(next));
    expect(rec.requests).toHaveLength(1);
    expect((await db.selectFrom('audit_events').select('deny_reason').where('event', '=', 'challenge').where('result', '=', 'denied').execute()).map((a) => a.deny_reason)).toContain('FRAUD_BLOCKED');

    // Alice replies again: ignored, logged, nothing more filed or mailed; Twilio gets an empty answer.
    const again = await twilioReply(h, ALICE, 'FRAUD');
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('<Response></Response>');
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toHaveLength(1);
    expect(adminMails(smtp)).toHaveLength(1);
    const logs = h.logs.join('\n');
    expect(logs).toContain('ALREADY_REPORTED');
    expect(logs).not.toContain('612345678'); // numbers are masked in the log
  });

  it('twilio: a forged signature is 403; an unknown number, another text and an expired code are ignored with a log line', async () => {
    const { h, smtp, clock, db } = await smsHost(twilio(true));
    const { challengeId } = await codeTexted(h);

    expect((await twilioReply(h, ALICE, 'FRAUD', 'not-the-auth-token')).status).toBe(403);
    const unsigned = await fetch(`${h.url}/sms/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `From=${encodeURIComponent(ALICE)}&Body=FRAUD` });
    expect(unsigned.status).toBe(403);
    const stranger = await twilioReply(h, '+33698765432', 'FRAUD');
    expect(stranger.status).toBe(200);
    expect(await stranger.text()).toBe('<Response></Response>');
    expect((await twilioReply(h, ALICE, 'Hello, is this my code?')).status).toBe(200);
    expect((await twilioReply(h, ALICE, '0')).status).toBe(200); // "0" is not a keyword by SMS
    expect((await twilioReply(h, 'not a number', 'FRAUD')).status).toBe(200);
    clock.advance(301_000);
    expect((await twilioReply(h, ALICE, 'FRAUD')).status).toBe(200);

    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('challenges').select('status').where('id', '=', challengeId).executeTakeFirstOrThrow()).toEqual({ status: 'pending' });
    expect(adminMails(smtp)).toEqual([]);
    const reasons = h.logs
      .map((l) => JSON.parse(l) as { msg?: string; reason?: string })
      .filter((l) => l.msg === 'sms reply refused' || l.msg === 'sms reply ignored')
      .map((l) => l.reason);
    expect(reasons).toEqual(['BAD_SIGNATURE', 'BAD_SIGNATURE', 'UNKNOWN_NUMBER', 'NOT_A_KEYWORD', 'NOT_A_KEYWORD', 'UNKNOWN_NUMBER', 'EXPIRED']);
  });

  it('http provider: a JSON reply FRAUDE signed with the HMAC header reports; a forged HMAC does not', async () => {
    const { h, clock, db } = await smsHost((r) => httpProvider(r, '/sms', { hmacSecret: HMAC_SECRET, fraudReplies: true }));
    const { challengeId } = await codeTexted(h);
    expect((await httpReply(h, ALICE, 'FRAUDE', clock.now(), 'another-secret-0123456789abcdef')).status).toBe(403);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    // The national form of the number is the same phone (delivery.defaultRegion FR).
    const r = await httpReply(h, '06 12 34 56 78', 'Fraude', clock.now());
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'fraud-reported' });
    expect(await db.selectFrom('fraud_reports').select(['channel', 'challenge_id']).execute()).toEqual([{ channel: 'sms', challenge_id: challengeId }]);
  });

  it('without fraudReplies the text has no FRAUD line and /sms/inbound does not exist', async () => {
    const { h, rec } = await smsHost(twilio(false));
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const body = new URLSearchParams(rec.requests[0]!.body).get('Body')!;
    expect(body).not.toContain('FRAUD');
    expect((await twilioReply(h, ALICE, 'FRAUD')).status).toBe(404);
    expect((await submitCode(b, path, /^([0-9]{6}) /.exec(body)![1]!)).status).toBe(303);
  });

  it('refuses fraudReplies on an http gateway without hmacSecret (anyone could block anyone)', () => {
    const dir = makeTempDir('fg-sms-replies-');
    const file = join(dir, 'factorgate.yaml');
    writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
    writeFileSync(file, stringify({ directory: { type: 'file', path: 'users.yaml' }, factors: { sms: {} }, delivery: { sms: { type: 'http', url: 'https://sms.example.test/send', fraudReplies: true } } }));
    const run = () => loadConfig({ configPath: file, adapters: [], env: {} });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/delivery\.sms\.fraudReplies: fraudReplies needs hmacSecret/);
  });
});
