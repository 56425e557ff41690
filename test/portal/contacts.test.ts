/**
 * `/portal/methods/contact` (issue 19) on a real host with an http SMS gateway (a local
 * recorder) and a real SMTP server (smtp-server): a user adds a phone for text messages and an
 * email address for codes, each counting only once a code sent to it comes back; the address is
 * sealed at rest; the default switch includes them; a change keeps the row and swaps the address
 * after verification; the user removes what they added. Every change is mailed (en/fr) to the
 * verified addresses. With `portal.directoryOwns` nothing of that kind can be added.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage, type Page } from '../challenge/harness.js';
import { accepting, httpProvider, startRecorder, type Recorder } from '../factors/support/delivered.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { findPart, parseMime } from '../delivery/support/mime.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let rec: Recorder;
let smtp: TestSmtpServer;
const users = [
  { username: 'dave', password: 'dave-password-1', displayName: 'Dave Petit' },
  { username: 'erin', password: 'erin-password-1', displayName: 'Erin Roux' },
];
const config = (smtpPort: number, extra: Record<string, unknown> = {}) => ({
  factors: { sms: {}, email: {} },
  delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms'), smtp: { host: '127.0.0.1', port: smtpPort, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
  ...extra,
});

beforeAll(async () => {
  rec = await startRecorder(accepting());
  smtp = await startSmtpServer();
  h = await startHost({ clock, users, config: config(smtp.port) });
});
afterAll(async () => {
  await h.close();
  await smtp.close();
  await rec.close();
});

const totps = new Map<string, Buffer>();
/** Password, then the authenticator app (enrolled at the first sign-in): a fresh session. */
async function signedIn(username: string, base = h): Promise<Browser> {
  const b = new Browser(base.url);
  const form = await b.get('/login');
  const path = (await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password: `${username}-password-1` })).headers.get('location')!;
  const page = await b.get(path);
  if (page.body.includes('totp-secret')) {
    const s = decodeBase32(secretOnPage(page.body));
    if (!s.ok) throw new Error('no secret');
    totps.set(`${base.url}/${username}`, s.bytes);
  }
  clock.advance(30_000);
  // The app, whichever method is the default.
  const app = (await rowsOf(username, 'totp', base)).find((r) => r.confirmed === 1)?.id ?? field(page.body, 'method');
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: app, code: generateTotp(totps.get(`${base.url}/${username}`)!, clock.now()) });
  expect(r.headers.get('location')).toBe('/login');
  return b;
}

async function startContact(b: Browser, kind: string, to: string, replaces?: string): Promise<Page> {
  const form = await b.get(`/portal/methods/contact?kind=${kind}${replaces ? `&replaces=${replaces}` : ''}`);
  expect(form.status).toBe(200);
  return b.post('/portal/methods/contact', { _csrf: field(form.body, '_csrf'), kind, to, ...(replaces ? { replaces } : {}) });
}

async function confirm(b: Browser, path: string, code: string): Promise<Page> {
  const page = await b.get(path);
  return b.post(path, { _csrf: field(page.body, '_csrf'), action: 'verify', code });
}

const rowsOf = async (username: string, kind: string, base = h) => {
  const db = base.host.api.store.db;
  const u = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return db.selectFrom('factors').selectAll().where('user_id', '=', u.id).where('kind', '=', kind).orderBy('created_at').execute();
};

const lastSms = () => JSON.parse(rec.requests.at(-1)!.body) as { to: string; code: string };
const mailText = (i: number) => {
  const mime = parseMime(smtp.mails[i]!.raw);
  return { subject: mime.headers.get('subject') ?? '', text: findPart(mime, 'text/plain')!.body, to: smtp.mails[i]!.rcptTo };
};
const codeInMail = (i: number) => /code is ([0-9]{6})/.exec(mailText(i).text)![1]!;

describe('/portal/methods/contact', () => {
  it('adds a phone verified by a text message, sealed at rest, usable as the default method; then an email; changes are mailed', async () => {
    const b = await signedIn('dave');
    const methods = await b.get('/portal/methods');
    expect(methods.body).toContain('Add a phone for text messages');
    expect(methods.body).toContain('Add an email address for codes');

    // Not a number: refused with the form again, nothing sent.
    const sentBefore = rec.requests.length;
    const bad = await startContact(b, 'sms', 'call me maybe');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('That does not look like a phone number');
    expect(rec.requests.length).toBe(sentBefore);

    const started = await startContact(b, 'sms', '06 11 22 33 44');
    expect(started.status).toBe(303);
    const path = started.headers.get('location')!;
    expect(path).toMatch(/^\/portal\/methods\/contact\/[0-9a-f-]{36}$/);
    expect(lastSms().to).toBe('+33611223344');
    const verify = await b.get(path);
    expect(verify.body).toContain('+33 6 •• •• •• 44');
    expect(verify.body).not.toContain('611223344');

    // Sealed at rest and not yet a method.
    const [pending] = await rowsOf('dave', 'sms');
    expect(pending!.confirmed).toBe(0);
    expect(JSON.stringify(pending)).not.toContain('611223344');
    expect(pending!.secret_enc).toBeTruthy();

    const code = lastSms().code;
    const wrong = await confirm(b, path, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(401);
    expect((await rowsOf('dave', 'sms'))[0]!.confirmed).toBe(0);
    const ok = await confirm(b, path, code);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('The phone number or email address was verified and added.');
    expect(ok.body).toContain('+33 6 •• •• •• 44');
    const [phone] = await rowsOf('dave', 'sms');
    expect(phone!.confirmed).toBe(1);
    // The same code does not confirm twice.
    const replay = await b.post(path, { _csrf: field((await b.get('/portal/methods')).body, '_csrf'), action: 'verify', code });
    expect(replay.headers.get('location')).toBe('/portal/methods');

    // Dave has no email yet: the change could not be mailed, and the audit says so.
    const notices = await h.host.api.store.db.selectFrom('audit_events').select(['result', 'deny_reason']).where('event', '=', 'change-notice').execute();
    expect(notices).toEqual([{ result: 'failure', deny_reason: 'NO_ADDRESS' }]);

    // The phone becomes the default: the next sign-in texts a code to it.
    const page = await b.get('/portal/methods');
    const def = await b.post('/portal/methods', { _csrf: field(page.body, '_csrf'), action: 'default', factorId: phone!.id });
    expect(def.status).toBe(200);
    const s = new Browser(h.url);
    const form = await s.get('/login');
    const challenge = (await s.post('/login', { _csrf: field(form.body, '_csrf'), username: 'dave', password: 'dave-password-1' })).headers.get('location')!;
    const ask = await s.get(challenge);
    expect(ask.body).toContain('Method: Text message · default.');
    const sendForm = ask.body.includes('id="notice"') ? ask : await s.post(challenge, { _csrf: field(ask.body, '_csrf'), method: phone!.id, send: '1' });
    expect(sendForm.status).toBe(200);
    expect(lastSms().to).toBe('+33611223344');
    const again = await s.get(challenge);
    expect(again.body).toContain('+33 6 •• •• •• 44');
    const done = await s.post(challenge, { _csrf: field(again.body, '_csrf'), method: phone!.id, code: lastSms().code });
    expect(done.status).toBe(303);

    // An email address, verified by a code mailed to it; from then on changes are mailed there.
    const mails = smtp.mails.length;
    const e = await startContact(b, 'email', 'dave@example.test');
    const ePath = e.headers.get('location')!;
    expect(smtp.mails).toHaveLength(mails + 1);
    expect(mailText(mails).to).toEqual(['dave@example.test']);
    expect((await confirm(b, ePath, codeInMail(mails))).status).toBe(200);
    expect((await rowsOf('dave', 'email'))[0]!.confirmed).toBe(1);
    expect(smtp.mails).toHaveLength(mails + 2);
    const notice = mailText(mails + 1);
    expect(notice.to).toEqual(['dave@example.test']);
    expect(notice.subject).toBe('Your factorgate sign-in methods changed');
    expect(notice.text).toContain('A phone number or email address for sign-in codes was added to your account.');
    expect(notice.text).toContain("If this wasn't you");
    expect(notice.text).toContain('/portal/methods');

    // Nothing of the numbers or addresses in the log.
    const logs = h.logs.join('\n');
    expect(logs).not.toContain('611223344');
    expect(logs).not.toContain('dave@example.test');
  });

  it('changes a phone it added: the new number counts only once verified, the row keeps its place; then removes it', async () => {
    const b = await signedIn('dave');
    const [phone] = await rowsOf('dave', 'sms');
    const list = await b.get('/portal/methods');
    expect(list.body).toContain(`/portal/methods/contact?kind=sms&amp;replaces=${phone!.id}`);
    const started = await startContact(b, 'sms', '+33 7 99 88 77 66', phone!.id);
    const path = started.headers.get('location')!;
    expect(lastSms().to).toBe('+33799887766');
    // Until verified, sign-ins still go to the old number.
    const before = await rowsOf('dave', 'sms');
    expect(before.filter((r) => r.confirmed === 1).map((r) => r.secret_enc)).toEqual([phone!.secret_enc]);
    const mails = smtp.mails.length;
    expect((await confirm(b, path, lastSms().code)).status).toBe(200);
    const after = await rowsOf('dave', 'sms');
    expect(after.map((r) => [r.id, r.confirmed, r.is_default])).toEqual([[phone!.id, 1, 1]]);
    expect(after[0]!.secret_enc).not.toBe(phone!.secret_enc);
    expect(mailText(mails).text).toContain('was changed on your account');

    // Sign-in codes now go to the new number.
    const s = new Browser(h.url);
    const form = await s.get('/login');
    const challenge = (await s.post('/login', { _csrf: field(form.body, '_csrf'), username: 'dave', password: 'dave-password-1' })).headers.get('location')!;
    const ask = await s.get(challenge);
    if (!ask.body.includes('id="notice"')) await s.post(challenge, { _csrf: field(ask.body, '_csrf'), method: phone!.id, send: '1' });
    expect(lastSms().to).toBe('+33799887766');

    // The user removes a number they added (the directory's would be "managed by your administrator").
    const page = await b.get('/portal/methods');
    b.acceptLanguage = 'fr';
    const removed = await b.post('/portal/methods', { _csrf: field(page.body, '_csrf'), action: 'remove', factorId: phone!.id });
    expect(removed.status).toBe(200);
    expect(await rowsOf('dave', 'sms')).toEqual([]);
    const fr = mailText(smtp.mails.length - 1);
    expect(fr.subject).toBe('Vos méthodes de connexion factorgate ont changé');
    expect(fr.text).toContain('Une méthode de connexion a été supprimée de votre compte.');
    expect(fr.text).toContain('Si ce n’était pas vous');
  });

  it('refuses every contact form without the CSRF token', async () => {
    const b = await signedIn('erin');
    expect((await b.post('/portal/methods/contact', { kind: 'sms', to: '0611223344' })).status).toBe(403);
    expect(await rowsOf('erin', 'sms')).toEqual([]);
    const started = await startContact(b, 'sms', '0611223355');
    const path = started.headers.get('location')!;
    expect((await b.post(path, { action: 'verify', code: lastSms().code })).status).toBe(403);
    expect((await b.post(path, { action: 'resend' })).status).toBe(403);
    expect((await rowsOf('erin', 'sms'))[0]!.confirmed).toBe(0);
  });

  it('offers nothing the directory owns (portal.directoryOwns)', async () => {
    const owned = await startHost({ clock, users, config: config(smtp.port, { portal: { directoryOwns: ['phone'] } }) });
    try {
      const b = await signedIn('erin', owned);
      const page = await b.get('/portal/methods');
      expect(page.body).not.toContain('Add a phone');
      expect(page.body).toContain('Add an email address for codes');
      const r = await b.post('/portal/methods/contact', { _csrf: field(page.body, '_csrf'), kind: 'sms', to: '0611223344' });
      expect(r.headers.get('location')).toBe('/portal/methods');
      const db = owned.host.api.store.db;
      expect(await db.selectFrom('factors').select('id').where('kind', '=', 'sms').execute()).toEqual([]);
      expect(await db.selectFrom('audit_events').select(['event', 'result', 'deny_reason']).where('deny_reason', '=', 'NOT_OFFERED').execute()).toEqual([
        { event: 'method-add', result: 'failure', deny_reason: 'NOT_OFFERED' },
      ]);
    } finally {
      await owned.close();
    }
  });
});
