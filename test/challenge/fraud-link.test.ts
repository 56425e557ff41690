/**
 * The "This wasn't me" link of an emailed code (issue 20), on a real host with a real SMTP
 * server (smtp-server package): the code mail carries a signed link; GET only shows a confirm
 * page (a mail scanner's prefetch reports nothing); POST reports exactly as the challenge page's
 * button does (fraud_reports row, `fraud-report` audit, admin mailed, the next sign-in blocked);
 * forged, tampered, expired and reused tokens get a 400 page and a log line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { findPart, parseMime } from '../delivery/support/mime.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { Browser, field, pressSend, signIn } from '../factors/support/delivered.js';
import { FRAUD_LINK_MARGIN_MS } from '../../src/fraud/fraud-link.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function fraudHost() {
  const smtp: TestSmtpServer = await startSmtpServer();
  cleanup.push(() => smtp.close());
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: {
      factors: { email: {} },
      delivery: { smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
      policies: { fraud: { mode: 'block', notify: ['secops@example.test'] } },
    },
  });
  cleanup.push(() => h.close());
  return { h, smtp, clock, db: h.host.api.store.db };
}

/** Someone with alice's password gets a code mailed to her; returns the challenge path and the mail's link. */
async function codeMailed(h: RunningHost, smtp: TestSmtpServer) {
  const attacker = new Browser(h.url);
  const path = await signIn(attacker);
  await pressSend(attacker, path);
  const mail = parseMime(smtp.mails.at(-1)!.raw);
  const text = findPart(mail, 'text/plain')!.body;
  const htmlPart = findPart(mail, 'text/html')!.body;
  const link = /This wasn't me: (\S+)/.exec(text)?.[1];
  if (!link) throw new Error(`no link in ${text}`);
  return { attacker, path, link, text, html: htmlPart, code: /code is ([0-9]{6})/.exec(text)![1]! };
}

const pathOf = (link: string) => link.slice(new URL(link).origin.length);

describe('the "This wasn\'t me" link of an emailed code', () => {
  it('the mail carries it; GET reports nothing; POST reports, blocks, mails the admin; the link then refuses', async () => {
    const { h, smtp, db } = await fraudHost();
    const { attacker, path, link, html, code } = await codeMailed(h, smtp);
    const challengeId = path.slice(5);
    expect(link).toMatch(new RegExp(`^${h.url.replace(/[.]/g, '\\.')}/fraud/report\\?t=${challengeId}\\.\\d{13}\\.[A-Za-z0-9_-]{43}$`));
    expect(html).toContain(`<a href="${link.replace("=", "&#x3D;")}" id="fraud-link">This wasn't me</a>`); // Handlebars escapes "=" in the HTML part

    // A mail scanner (or the user) opens the link: a confirm page, nothing reported.
    const victim = new Browser(h.url);
    const confirm = await victim.get(pathOf(link));
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('I didn’t try to sign in: report it');
    expect(confirm.body).not.toContain('<script');
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('audit_events').selectAll().where('event', '=', 'fraud-report').execute()).toEqual([]);
    expect(smtp.mails).toHaveLength(1); // only the code mail

    // Without the form's CSRF token nothing happens.
    expect((await victim.post(pathOf(link), {})).status).toBe(403);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);

    const done = await victim.post(pathOf(link), { _csrf: field(confirm.body, '_csrf') });
    expect(done.status).toBe(200);
    expect(done.body).toContain('the sign-in is reported and stopped');
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toMatchObject([{ channel: 'link', mode: 'block', challenge_id: challengeId, method: 'email', client_ip: '127.0.0.1' }]);
    const audit = await db.selectFrom('audit_events').selectAll().where('event', '=', 'fraud-report').execute();
    expect(audit).toMatchObject([{ result: 'denied', deny_reason: 'FRAUD_REPORTED', challenge_id: challengeId }]);
    expect(audit[0]!.detail).toMatch(/^link: the user reported a sign-in they did not start; mode block, second factor blocked/);
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.mails[1]!.rcptTo).toEqual(['secops@example.test']);
    expect(smtp.mails[1]!.raw).toContain('Subject: [factorgate] Fraud report: alice');

    // The attacker's pending challenge is over: the page asks for no code, and the mailed code signs nobody in.
    const over = await attacker.get(path);
    expect(over.body).not.toContain('name="code"');
    expect((await attacker.post(path, { method: 'x', code })).status).not.toBe(303);
    expect(await db.selectFrom('challenges').select('deny_reason').where('id', '=', challengeId).executeTakeFirstOrThrow()).toEqual({ deny_reason: 'FRAUD_REPORTED' });

    // The next sign-in is blocked before any factor.
    const next = new Browser(h.url);
    const page = await next.get(await signIn(next));
    expect(page.body).not.toContain('name="code"');
    expect((await db.selectFrom('audit_events').select('deny_reason').where('event', '=', 'challenge').where('result', '=', 'denied').execute()).map((r) => r.deny_reason)).toContain('FRAUD_BLOCKED');

    // The link is spent: GET and POST again get the 400 page, and nothing more is reported.
    const again = await victim.get(pathOf(link));
    expect(again.status).toBe(400);
    expect(again.body).toContain('This link is not valid, has expired or was already used.');
    expect((await victim.post(pathOf(link), { _csrf: field(confirm.body, '_csrf') })).status).toBe(400);
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('ALREADY_REPORTED');
    // The token itself never reaches a log (the request log redacts `t=`).
    expect(h.logs.join('\n')).not.toContain(new URL(link).searchParams.get('t')!);
  });

  it('forged, tampered and expired tokens get a 400 page and a log line; nothing is reported', async () => {
    const { h, smtp, clock, db } = await fraudHost();
    const { path, link } = await codeMailed(h, smtp);
    const token = new URL(link).searchParams.get('t')!;
    const [id, expires, mac] = token.split('.') as [string, string, string];
    const otherChallenge = (await signIn(new Browser(h.url))).slice(5);
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const bad: [string, string][] = [
      ['challenge id alone', id],
      ['another challenge, same MAC', `${otherChallenge}.${expires}.${mac}`],
      ['a later expiry', `${id}.${Number(expires) + 86_400_000}.${mac}`],
      ['a changed MAC', `${id}.${expires}.${flip(mac)}`],
      ['a MAC made with another key', `${id}.${expires}.${'x'.repeat(43)}`],
      ['garbage', '../../etc/passwd'],
    ];
    const b = new Browser(h.url);
    for (const [what, t] of bad) {
      const r = await b.get(`/fraud/report?t=${encodeURIComponent(t)}`);
      expect(r.status, what).toBe(400);
      expect(r.body, what).toContain('This link is not valid, has expired or was already used.');
      expect(r.body, what).not.toContain('name="_csrf"');
    }
    // A POST with a valid CSRF token but a forged link is refused too.
    const ok = await b.get(pathOf(link));
    expect(ok.status).toBe(200);
    expect((await b.post(`/fraud/report?t=${id}.${expires}.${flip(mac)}`, { _csrf: field(ok.body, '_csrf') })).status).toBe(400);
    const logs = h.logs.join('\n');
    expect(logs).toContain('fraud link refused');
    expect(logs).toContain('BAD_SIGNATURE');
    expect(logs).toContain('MALFORMED');

    // After the code's lifetime plus the margin, the real link has expired.
    clock.advance(5 * 60_000 + FRAUD_LINK_MARGIN_MS + 1_000);
    expect((await b.get(pathOf(link))).status).toBe(400);
    expect(h.logs.join('\n')).toContain('EXPIRED');
    expect(await db.selectFrom('fraud_reports').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('audit_events').selectAll().where('event', '=', 'fraud-report').execute()).toEqual([]);
    expect(path).toMatch(/^\/mfa\//);
  });
});
