import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FactorgateError } from '../../src/kit/errors.js';
import { smtpConfigSchema, type SmtpConfigInput } from '../../src/delivery/config.js';
import { createMailer, toTransportOptions, type Mailer } from '../../src/delivery/mailer.js';
import { captureLog } from './support/capture-log.js';
import { findPart, parseMime } from './support/mime.js';
import { makeSelfSignedCert, startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from './support/smtp-server.js';

const NASTY = '<script>alert(1)</script> & "x"';
const CREDS = { user: 'mailer@example.com', password: 'smtp-Passw0rd!' };
let tls: ReturnType<typeof makeSelfSignedCert>;
let server: TestSmtpServer | undefined;
let mailer: Mailer | undefined;

beforeAll(() => {
  tls = makeSelfSignedCert();
});
afterAll(() => tls.cleanup());
afterEach(async () => {
  mailer?.close();
  mailer = undefined;
  await server?.close();
  server = undefined;
});

async function setup(serverOpts: TestSmtpOptions, config: Partial<SmtpConfigInput>) {
  server = await startSmtpServer(serverOpts);
  const log = captureLog();
  mailer = createMailer(
    smtpConfigSchema.parse({
      host: '127.0.0.1',
      port: server.port,
      from: 'Factorgate <mfa@example.com>',
      ca: tls.cert,
      timeouts: { connectionMs: 3000, greetingMs: 3000, socketMs: 5000 },
      ...config,
    }),
    { logger: log.logger },
  );
  return { server, mailer, log };
}

async function deliveryFailure(p: Promise<unknown>): Promise<FactorgateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FactorgateError);
  expect((err as FactorgateError).code).toBe('DELIVERY_FAILED');
  return err as FactorgateError;
}

describe('mailer against a real SMTP server', () => {
  it('sends the enrolment mail over STARTTLS with AUTH PLAIN: headers, text and HTML parts', async () => {
    const { server, mailer } = await setup({ tls, credentials: CREDS }, { startTls: 'required', ...CREDS });
    const sent = await mailer.sendTemplate(
      'enrolled',
      'fr',
      { method: 'totp', displayName: NASTY, portalUrl: 'https://mfa.example.com/enroll' },
      { name: NASTY, address: 'alice@example.com' },
    );
    expect(sent.messageId).toMatch(/^<.+@.+>$/);

    expect(server.auths).toEqual([{ method: 'PLAIN', username: CREDS.user, password: CREDS.password, secure: true }]);
    expect(server.mails).toHaveLength(1);
    const mail = server.mails[0]!;
    expect(mail.secure).toBe(true);
    expect(mail.mailFrom).toBe('mfa@example.com');
    expect(mail.rcptTo).toEqual(['alice@example.com']);

    // The non-ASCII subject travels as RFC 2047 encoded-words and decodes back exactly.
    expect(mail.raw).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);
    const root = parseMime(mail.raw);
    expect(root.headers.get('subject')).toBe('Configurez votre application d’authentification factorgate');
    expect(root.headers.get('from')).toBe('Factorgate <mfa@example.com>');
    expect(root.headers.get('to')).toContain('<alice@example.com>');
    expect(root.headers.get('to')).toContain('alert(1)');
    expect(root.headers.get('auto-submitted')).toBe('auto-generated');
    expect(root.headers.get('message-id')).toBe(sent.messageId);
    expect(root.headers.get('content-type')).toMatch(/^multipart\/alternative/);

    const text = findPart(root, 'text/plain')!;
    const html = findPart(root, 'text/html')!;
    expect(text.headers.get('content-type')).toMatch(/charset=utf-8/i);
    expect(text.body).toContain(`Bonjour ${NASTY},`);
    expect(text.body).toContain('https://mfa.example.com/enroll');
    expect(html.body).toContain('Bonjour &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;,');
    expect(html.body).not.toContain('<script>');
  });

  it('sends the code mail with the code in the body only and never logs it', async () => {
    const { server, mailer, log } = await setup({ tls }, {});
    await mailer.sendTemplate('code', 'en', { displayName: 'Bob', code: '804215', ttlSeconds: 300 }, 'bob@example.com');
    const root = parseMime(server.mails[0]!.raw);
    expect(root.headers.get('subject')).toBe('Your factorgate sign-in code');
    expect(findPart(root, 'text/plain')!.body).toContain('Your sign-in code is 804215. It expires in 5 minutes.');
    expect(findPart(root, 'text/html')!.body).toContain('804215');
    expect(log.text()).not.toContain('804215');
    expect(log.lines.at(-1)).toMatchObject({ msg: 'mail sent', event: 'code' });
  });

  it('in required mode refuses a server that does not offer STARTTLS, before sending a password', async () => {
    const { server, mailer } = await setup(
      { noStartTls: true, credentials: CREDS, allowInsecureAuth: true },
      { startTls: 'required', ...CREDS },
    );
    const err = await deliveryFailure(mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>' }));
    expect(err.detail).toMatch(/STARTTLS|TLS/i);
    expect(err.detail).not.toContain(CREDS.password);
    expect(server.auths).toEqual([]);
    expect(server.mails).toEqual([]);
  });

  it('in opportunistic mode upgrades when offered', async () => {
    const { server, mailer } = await setup({ tls }, { startTls: 'opportunistic' });
    await mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>' });
    expect(server.mails[0]!.secure).toBe(true);
  });

  it('in opportunistic mode goes on in clear when STARTTLS is not offered', async () => {
    const { server, mailer } = await setup({ noStartTls: true }, { startTls: 'opportunistic' });
    await mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>' });
    expect(server.mails[0]!.secure).toBe(false);
  });

  it('in never mode stays in clear even when STARTTLS is offered', async () => {
    const { server, mailer } = await setup({ tls, credentials: CREDS, allowInsecureAuth: true }, { startTls: 'never', ...CREDS });
    await mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>' });
    expect(server.mails[0]!.secure).toBe(false);
    expect(server.auths[0]).toMatchObject({ method: 'PLAIN', secure: false });
  });

  it('speaks implicit TLS when secure is set', async () => {
    const { server, mailer } = await setup({ tls, secure: true }, { secure: true });
    await mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>' });
    expect(server.mails[0]!.secure).toBe(true);
  });

  it('refuses a server certificate it cannot verify (no CA configured)', async () => {
    const { server, mailer } = await setup({ tls }, { startTls: 'required', ca: undefined });
    const err = await deliveryFailure(mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: 'h' }));
    expect(err.detail).toMatch(/certificate/i);
    expect(server.mails).toEqual([]);
  });

  it('fails with DELIVERY_FAILED on wrong credentials, without the password in the reason', async () => {
    const { mailer, log } = await setup({ tls, credentials: CREDS }, { user: CREDS.user, password: 'wrong-password' });
    const err = await deliveryFailure(mailer.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: 'h' }));
    expect(err.detail).toContain('EAUTH');
    expect(err.detail).toContain('535');
    expect(err.detail).not.toContain('wrong-password');
    expect(log.text()).not.toContain('wrong-password');
  });

  it('fails when the server refuses the recipient', async () => {
    const { mailer } = await setup({ tls, refuseRecipient: 'ghost@example.com' }, {});
    const err = await deliveryFailure(mailer.sendMail({ to: 'ghost@example.com', subject: 's', text: 't', html: 'h' }));
    expect(err.detail).toContain('550');
  });

  it('verifies the connection without sending', async () => {
    const { server, mailer } = await setup({ tls, credentials: CREDS }, CREDS);
    await mailer.verify();
    expect(server.auths).toHaveLength(1);
    expect(server.mails).toEqual([]);
  });

  it('fails fast when nothing listens', async () => {
    const closed = await startSmtpServer();
    const port = closed.port;
    await closed.close();
    const m = createMailer(smtpConfigSchema.parse({ host: '127.0.0.1', port, from: 'a@example.com' }));
    const err = await deliveryFailure(m.sendMail({ to: 'a@example.com', subject: 's', text: 't', html: 'h' }));
    expect(err.detail).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    m.close();
  });
});

describe('transport options', () => {
  const base = { host: 'smtp.example.com', from: 'a@example.com' };
  it.each([
    ['required', { requireTLS: true, ignoreTLS: undefined }],
    ['opportunistic', { requireTLS: undefined, ignoreTLS: undefined }],
    ['never', { requireTLS: undefined, ignoreTLS: true }],
  ] as const)('maps startTls %s onto nodemailer', (startTls, expected) => {
    const o = toTransportOptions(smtpConfigSchema.parse({ ...base, startTls }));
    expect({ requireTLS: o.requireTLS, ignoreTLS: o.ignoreTLS }).toEqual(expected);
    expect(o.secure).toBe(false);
  });

  it('ignores startTls with implicit TLS and keeps TLS 1.2 as the floor', () => {
    const o = toTransportOptions(smtpConfigSchema.parse({ ...base, port: 465, secure: true }));
    expect(o.requireTLS).toBeUndefined();
    expect(o.secure).toBe(true);
    expect(o.tls).toMatchObject({ minVersion: 'TLSv1.2', rejectUnauthorized: true });
  });
});
