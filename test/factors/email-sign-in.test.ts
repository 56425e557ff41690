/**
 * Email codes through a real host and a real SMTP server (smtp-server on a free port): the code
 * is read from the received mail's text part and typed back. The mail is the `code` template,
 * in the challenge's language; the code never appears in the subject (mail logs record
 * subjects) nor in any log line of ours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { findPart, parseMime } from '../delivery/support/mime.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { Browser, pressSend, signIn, submitCode } from './support/delivered.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function emailHost(smtp: TestSmtpServer, email: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: {
      factors: { email },
      delivery: { smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
    },
  });
  cleanup.push(() => h.close());
  return { h, clock, db: h.host.api.store.db };
}

function codeFromMail(raw: string): { code: string; subject: string; text: string } {
  const mime = parseMime(raw);
  const text = findPart(mime, 'text/plain')!.body;
  const code = /code is ([0-9]{6})|connexion est ([0-9]{6})/.exec(text);
  if (!code) throw new Error(`no code in ${text}`);
  return { code: code[1] ?? code[2]!, subject: mime.headers.get('subject') ?? '', text };
}

describe('signing in with an email code', () => {
  it('mails the code to the directory address through SMTP; the typed code signs in, audited as email', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { h, db } = await emailHost(smtp);
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    expect(page.body).toContain('Enter the code sent by email to a••••@example.test.');
    expect((await pressSend(b, path, page)).body).toContain('A code is on its way.');

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.rcptTo).toEqual(['alice@example.test']);
    expect(mail.mailFrom).toBe('mfa@example.test');
    const { code, subject, text } = codeFromMail(mail.raw);
    expect(text).toContain('Hello Alice Martin');
    expect(text).toContain('It expires in 5 minutes.');
    expect(subject).toBe('Your factorgate sign-in code');
    expect(subject).not.toContain(code);

    expect((await submitCode(b, path, code)).status).toBe(303);
    expect(await db.selectFrom('audit_events').select(['method', 'result']).where('event', '=', 'second-factor').execute()).toEqual([{ method: 'email', result: 'success' }]);
    expect(h.logs.join('\n')).not.toContain(code);
  });

  it('writes the mail in the challenge language (French)', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { h } = await emailHost(smtp);
    const b = new Browser(h.url);
    b.acceptLanguage = 'fr-FR';
    const path = await signIn(b);
    await pressSend(b, path);
    const { code, text } = codeFromMail(smtp.mails[0]!.raw);
    expect(text).toContain('Bonjour');
    expect((await submitCode(b, path, code)).status).toBe(303);
  });

  it('an SMTP server that refuses the recipient: the page says the code could not be sent, the audit records the SMTP reply', async () => {
    const smtp = await startSmtpServer({ refuseRecipient: 'alice@example.test' });
    cleanup.push(() => smtp.close());
    const { h, db } = await emailHost(smtp);
    const b = new Browser(h.url);
    const r = await pressSend(b, await signIn(b));
    expect(r.status).toBe(200);
    expect(r.body).toContain('We could not reach you by this method just now.');
    const [audit] = await db.selectFrom('audit_events').select(['result', 'deny_reason', 'detail']).where('event', '=', 'code-delivery').execute();
    expect(audit).toMatchObject({ result: 'failure', deny_reason: 'DELIVERY_FAILED' });
    expect(audit!.detail).toMatch(/550/);
  });
});
