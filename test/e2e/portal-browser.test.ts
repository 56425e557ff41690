/**
 * The self-service portal (issue 19) end to end in headless Chromium on a real host, with an
 * http SMS gateway (a local recorder), a real SMTP server (smtp-server) and an injected clock:
 * enrol a second authenticator app, switch the default and sign in with each; add a phone
 * verified by a texted code; use a backup code once (second use refused, the count goes down);
 * the last method cannot be removed while MFA is required; after 5 minutes a change re-prompts
 * for a second factor and comes back to the page; every portal form refuses a post without its
 * CSRF token; every change is mailed; English and French pages with labelled fields, one h1
 * and a focus order that follows the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { accepting, httpProvider, startRecorder, type Recorder } from '../factors/support/delivered.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { findPart, parseMime } from '../delivery/support/mime.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let rec: Recorder;
let smtp: TestSmtpServer;
let browser: Browser;

beforeAll(async () => {
  rec = await startRecorder(accepting());
  smtp = await startSmtpServer();
  h = await startHost({
    clock,
    users: [
      { username: 'ada', password: 'ada-password-1', displayName: 'Ada Lovelace', email: 'ada@example.test' },
      { username: 'bob', password: 'bob-password-1', displayName: 'Bob Durand', email: 'bob@example.test' },
      { username: 'cyd', password: 'cyd-password-1', displayName: 'Cyd Charisse', email: 'cyd@example.test' },
    ],
    config: {
      factors: { sms: {} },
      delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms'), smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' } },
    },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await smtp?.close();
  await rec?.close();
});

/** A code for the next time step (a step already accepted is refused, RFC 6238 §5.2). */
const nextCode = (secret: Buffer) => {
  clock.advance(30_000);
  return generateTotp(secret, clock.now());
};
const secretOn = async (page: Page) => {
  const s = decodeBase32(((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, ''));
  if (!s.ok) throw new Error('no secret on the page');
  return s.bytes;
};
const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const submit = async (page: Page, button: ReturnType<Page['getByRole']>) => {
  await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), button.click()]);
};

async function password(page: Page, username: string): Promise<void> {
  await page.goto(`${h.url}/login`);
  await page.getByLabel(/Username|Nom d’utilisateur|Identifiant/).fill(username);
  await page.getByLabel(/Password|Mot de passe/).fill(`${username}-password-1`);
  await Promise.all([page.waitForURL(/\/mfa\//), page.locator('form button[type=submit]').first().click()]);
}

/** Types a code into the challenge page's code field and submits it. */
async function answer(page: Page, code: string): Promise<void> {
  await page.locator('#code').fill(code);
  await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.locator('#code').press('Enter')]);
}

const mailsTo = (address: string) =>
  smtp.mails
    .filter((m) => m.rcptTo.includes(address))
    .map((m) => {
      const mime = parseMime(m.raw);
      return { subject: mime.headers.get('subject') ?? '', text: findPart(mime, 'text/plain')!.body };
    });

const factors = (username: string) =>
  h.host.api.store.db
    .selectFrom('factors')
    .innerJoin('users', 'users.id', 'factors.user_id')
    .select(['factors.id', 'factors.kind', 'factors.label', 'factors.is_default', 'factors.confirmed'])
    .where('users.username', '=', username)
    .orderBy('factors.created_at')
    .execute();

describe('the portal in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let firstApp: Buffer;
  let workApp: Buffer;

  beforeAll(async () => {
    context = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('enrols a second authenticator app, switches the default and signs in with each; both changes are mailed', async () => {
    await password(page, 'ada');
    firstApp = await secretOn(page);
    await answer(page, nextCode(firstApp));
    await expect(h1(page)).resolves.toBe('You are signed in');

    await page.goto(`${h.url}/portal/methods`);
    await Promise.all([page.waitForURL(/\/portal\/methods\/confirm\//), page.getByRole('button', { name: 'Add an authenticator app' }).click()]);
    workApp = await secretOn(page);
    await page.getByLabel('A name for it').fill('Work phone');
    await page.getByLabel('Code shown in the app').fill(nextCode(workApp));
    await submit(page, page.getByRole('button', { name: 'Add this app' }));
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('The authenticator app was added.');
    const [, work] = await factors('ada');
    expect(work).toMatchObject({ label: 'Work phone', confirmed: 1, is_default: 0 });

    await submit(page, page.locator(`tr[data-factor="${work!.id}"]`).getByRole('button', { name: 'Make default' }));
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('The default method was changed.');
    expect((await factors('ada')).map((f) => f.is_default)).toEqual([0, 1]);

    // The default (Work phone) is asked first; the first app is one click away.
    await context.clearCookies();
    await password(page, 'ada');
    await expect(page.locator('#send-hint, .muted').first().textContent()).resolves.toBeTruthy();
    await answer(page, nextCode(workApp));
    await expect(h1(page)).resolves.toBe('You are signed in');
    await context.clearCookies();
    await password(page, 'ada');
    await submit(page, page.getByRole('button', { name: 'Use Authenticator app', exact: true }));
    await answer(page, nextCode(firstApp));
    await expect(h1(page)).resolves.toBe('You are signed in');

    const mails = mailsTo('ada@example.test');
    expect(mails.map((m) => m.subject)).toEqual(['Your factorgate sign-in methods changed', 'Your factorgate sign-in methods changed']);
    expect(mails[0]!.text).toContain('An authenticator app was added to your account.');
    expect(mails[1]!.text).toContain('The default sign-in method of your account was changed.');
    expect(mails[0]!.text).toContain("If this wasn't you");
  });

  it('adds a phone that counts once the texted code is typed back', async () => {
    await page.goto(`${h.url}/portal/methods`);
    await Promise.all([page.waitForURL(/\/portal\/methods\/contact\?kind=sms/), page.getByRole('link', { name: 'Add a phone for text messages' }).click()]);
    await page.getByLabel(/Phone number/).fill('06 11 22 33 44');
    await Promise.all([page.waitForURL(/\/portal\/methods\/contact\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Send me a code' }).click()]);
    const sent = JSON.parse(rec.requests.at(-1)!.body) as { to: string; code: string };
    expect(sent.to).toBe('+33611223344');
    expect(await page.locator('main').textContent()).toContain('+33 6 •• •• •• 44');
    expect((await factors('ada')).filter((f) => f.kind === 'sms').map((f) => f.confirmed)).toEqual([0]);
    await page.getByLabel('Code').fill(sent.code);
    await submit(page, page.getByRole('button', { name: 'Confirm' }));
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('The phone number or email address was verified and added.');
    expect((await factors('ada')).filter((f) => f.kind === 'sms').map((f) => f.confirmed)).toEqual([1]);
    expect(mailsTo('ada@example.test').at(-1)!.text).toContain('A phone number or email address for sign-in codes was added to your account.');
  });

  it('uses a backup code once: the second use is refused and the count goes down', async () => {
    await page.goto(`${h.url}/portal/backup-codes`);
    await submit(page, page.getByRole('button', { name: 'Create new backup codes' }));
    const codes = await page.locator('ol.backup-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    await expect(page.locator('#codes-left').textContent()).resolves.toBe('10 of your backup codes are left.');
    expect(mailsTo('ada@example.test').at(-1)!.text).toContain('New backup codes were made for your account');

    const useBackup = async (code: string) => {
      await context.clearCookies();
      await password(page, 'ada');
      await submit(page, page.getByRole('button', { name: 'Use a backup code' }));
      await answer(page, code);
    };
    await useBackup(codes[0]!);
    await expect(h1(page)).resolves.toBe('You are signed in');
    await useBackup(codes[0]!);
    expect(page.url()).toMatch(/\/mfa\//);
    await expect(page.getByRole('alert').first().isVisible()).resolves.toBe(true);
    // Signed in again (with an app) to read the count.
    await submit(page, page.getByRole('button', { name: 'Use Authenticator app', exact: true }));
    await answer(page, nextCode(firstApp));
    await page.goto(`${h.url}/portal/backup-codes`);
    await expect(page.locator('#codes-left').textContent()).resolves.toBe('9 of your backup codes are left.');
  });

  it('after five minutes a change re-prompts for a second factor, then returns to the page and goes through', async () => {
    const [first] = await factors('ada');
    await page.goto(`${h.url}/portal/methods`);
    clock.advance(5 * 60_000 + 1_000);
    await page.locator(`#label-${first!.id}`).fill('Old phone');
    await Promise.all([page.waitForURL(/\/mfa\//), page.locator(`tr[data-factor="${first!.id}"]`).getByRole('button', { name: 'Rename' }).click()]);
    await expect(h1(page)).resolves.toBe('Verify it’s you');
    expect((await factors('ada'))[0]!.label).toBeNull();
    await answer(page, nextCode(workApp));
    expect(new URL(page.url()).pathname).toBe('/portal/methods');
    await page.locator(`#label-${first!.id}`).fill('Old phone');
    await submit(page, page.locator(`tr[data-factor="${first!.id}"]`).getByRole('button', { name: 'Rename' }));
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('The method was renamed.');
    expect((await factors('ada'))[0]!.label).toBe('Old phone');
  });

  it('refuses every portal form posted without its CSRF token, changing nothing', async () => {
    // Every table a portal form writes: methods and contacts (factors), PIN, backup codes, app passwords.
    const accountRows = async () => {
      const db = h.host.api.store.db;
      const { id } = await db.selectFrom('users').select('id').where('username', '=', 'ada').executeTakeFirstOrThrow();
      return JSON.stringify({
        factors: await db.selectFrom('factors').selectAll().where('user_id', '=', id).orderBy('id').execute(),
        pins: await db.selectFrom('user_pins').selectAll().where('user_id', '=', id).execute(),
        backupCodes: await db.selectFrom('backup_codes').selectAll().where('user_id', '=', id).orderBy('id').execute(),
        appPasswords: await db.selectFrom('app_passwords').selectAll().where('user_id', '=', id).orderBy('id').execute(),
      });
    };
    const before = await accountRows();
    const pages = ['/portal/methods', '/portal/backup-codes', '/portal/app-passwords', '/portal/pin', '/portal/methods/contact?kind=sms'];
    let checked = 0;
    for (const path of pages) {
      await page.goto(`${h.url}${path}`);
      const count = await page.locator('main form[method=post]').count();
      for (let i = 0; i < count; i++) {
        await page.goto(`${h.url}${path}`);
        const form = page.locator('main form[method=post]').nth(i);
        await form.evaluate((f: HTMLFormElement) => {
          const token = f.querySelector<HTMLInputElement>('input[name=_csrf]');
          if (token) token.value = 'forged';
          for (const input of Array.from(f.querySelectorAll<HTMLInputElement>('input:not([type=hidden])'))) if (input.value === '') input.value = input.type === 'tel' ? '0611223399' : '123456';
        });
        const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.waitForEvent('load'), form.evaluate((f: HTMLFormElement) => f.submit())]);
        expect(response.status(), `${path} form ${i} (${response.request().url()})`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    expect(await accountRows()).toBe(before);
  });

  it('refuses to remove the last method while a second factor is required', async () => {
    const b = await browser.newContext({ locale: 'en-GB' });
    try {
      const p = await b.newPage();
      p.setDefaultTimeout(15_000);
      await password(p, 'bob');
      const secret = await secretOn(p);
      await answer(p, nextCode(secret));
      await p.goto(`${h.url}/portal/methods`);
      const [only] = await factors('bob');
      await submit(p, p.locator(`tr[data-factor="${only!.id}"]`).getByRole('button', { name: 'Remove' }));
      await expect(p.getByRole('alert').first().textContent()).resolves.toBe('This is your last sign-in method: add another one before removing it.');
      expect(await factors('bob')).toHaveLength(1);
    } finally {
      await b.close();
    }
  });

  it('shows every portal page in French with one h1, labelled fields and a focus order that follows the page', async () => {
    const fr = await browser.newContext({ locale: 'fr-FR' });
    try {
      const p = await fr.newPage();
      p.setDefaultTimeout(15_000);
      await password(p, 'cyd');
      await expect(h1(p)).resolves.toBe('Configurer la validation en deux étapes');
      await answer(p, nextCode(await secretOn(p)));
      const titles: Record<string, string> = {
        '/portal': '',
        '/portal/methods': 'Vos méthodes de connexion',
        '/portal/backup-codes': '',
        '/portal/app-passwords': '',
        '/portal/pin': '',
        '/portal/methods/contact?kind=sms': 'Ajouter un téléphone pour les SMS',
      };
      for (const [path, title] of Object.entries(titles)) {
        await p.goto(`${h.url}${path}`);
        expect(await p.locator('html').getAttribute('lang'), path).toBe('fr');
        expect(await p.getByRole('heading', { level: 1 }).count(), path).toBe(1);
        if (title) await expect(h1(p)).resolves.toBe(title);
        // Every visible field has a label (its own <label for>, or aria-label).
        const unlabelled = await p.locator('main input:not([type=hidden]), main select, main textarea').evaluateAll((els) =>
          els.filter((e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML),
        );
        expect(unlabelled, path).toEqual([]);
        // No positive tabindex: Tab walks the page in document order.
        expect(await p.locator('[tabindex]:not([tabindex="0"]):not([tabindex="-1"])').count(), path).toBe(0);
        const order = await p.locator('main a[href], main button, main input:not([type=hidden]), main select, main textarea').evaluateAll((els) =>
          els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e, i) => ((e as HTMLElement).dataset.order = String(i))),
        );
        await p.locator('body').focus();
        const visited: string[] = [];
        for (let i = 0; i < Math.min(order.length, 6); i++) {
          await p.keyboard.press('Tab');
          const o = await p.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.order ?? 'outside');
          if (o !== 'outside') visited.push(o);
        }
        expect(visited.map(Number), path).toEqual([...visited.map(Number)].sort((a, b) => a - b));
        expect(visited.length, path).toBeGreaterThan(0);
      }
    } finally {
      await fr.close();
    }
  });
});
