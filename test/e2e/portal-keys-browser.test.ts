/**
 * Security keys from the portal (issue 24) in headless Chromium with DevTools virtual
 * authenticators, on a real host (`createHost`, the portal mounted): a first key enrolled at
 * sign-in, a second key added at /portal/methods (same same-origin script, same CSP), a sign-in
 * with each, one removed (the other still signs in, the removed one is gone from the page),
 * and `userVerificationRequiredFor` refusing an assertion without user verification for the
 * users it names. English and French pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { freePort } from '../support/free-port.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

let h: RunningHost;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  h = await startHost({
    port,
    users: [
      { username: 'ada', password: 'ada-password-1', displayName: 'Ada Lovelace' },
      { username: 'root', password: 'root-password-1', displayName: 'Root Admin' },
    ],
    config: {
      server: { port, host: '127.0.0.1', publicUrl: base, shutdownTimeoutSeconds: 2 },
      factors: { webauthn: { offerAtEnrolment: true, userVerificationRequiredFor: { users: ['root'] } } },
    },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

interface Authenticator {
  cdp: CDPSession;
  id: string;
}

async function addAuthenticator(page: Page, userVerified = true): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: userVerified, automaticPresenceSimulation: true },
  });
  return { cdp, id: authenticatorId };
}

/** Clicks the key button and waits for the page the posted answer leads to. */
async function useKey(page: Page, name: RegExp): Promise<void> {
  const posted = page.waitForRequest((r) => r.method() === 'POST');
  await page.getByRole('button', { name }).click();
  const refused = page
    .locator('#webauthn-failed')
    .waitFor({ state: 'visible' })
    .then(async () => {
      throw new Error(`the browser refused the WebAuthn call: ${await page.locator('#webauthn-failed').getAttribute('data-error')}`);
    });
  await Promise.race([posted, refused]);
  refused.catch(() => undefined);
  await page.waitForLoadState('load');
}

async function password(page: Page, username: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${username}-password-1`);
  await Promise.all([page.waitForURL(/\/mfa\//), page.getByRole('button', { name: 'Sign in' }).click()]);
}

const keys = (username: string) =>
  h.host.api.store.db
    .selectFrom('factors')
    .innerJoin('users', 'users.id', 'factors.user_id')
    .select(['factors.id', 'factors.label', 'factors.is_default'])
    .where('users.username', '=', username)
    .where('factors.kind', '=', 'webauthn')
    .where('factors.confirmed', '=', 1)
    .orderBy('factors.created_at')
    .execute();

const lastSecondFactor = async () =>
  h.host.api.store.db.selectFrom('audit_events').select(['result', 'method', 'device_token', 'deny_reason']).where('event', '=', 'second-factor').orderBy('ts', 'desc').executeTakeFirstOrThrow();

describe('security keys from the portal in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('adds a second key at /portal/methods, signs in with each, removes one', async () => {
    const first = await addAuthenticator(page);
    await password(page, 'ada');
    await page.getByLabel('Name of this key').fill('Blue key');
    await useKey(page, /Register my security key or passkey/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed in');
    const saved = (await first.cdp.send('WebAuthn.getCredentials', { authenticatorId: first.id })).credentials;
    expect(saved).toHaveLength(1);

    // The second key lives on another authenticator (the first one would refuse: excludeCredentials).
    await first.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: first.id });
    const second = await addAuthenticator(page);
    await page.goto(`${base}/portal/methods`);
    await Promise.all([page.waitForURL(/\/portal\/methods\/key\//), page.getByRole('button', { name: 'Add a security key or passkey' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Add a security key or passkey');
    // The page's only script is the same-origin file.
    expect(await page.locator('script').evaluateAll((s) => s.map((e) => e.getAttribute('src')))).toEqual(['/mfa/webauthn.js']);
    await page.getByLabel('Name of this key').fill('Green key');
    await useKey(page, /Register my security key or passkey/);
    await expect(page.locator('[role=status]').first().textContent()).resolves.toBe('The security key or passkey was added.');
    const [blue, green] = await keys('ada');
    expect([blue?.label, green?.label]).toEqual(['Blue key', 'Green key']);
    expect(await page.locator(`tr[data-factor="${green!.id}"] th`).textContent()).toContain('Green key');

    // One authenticator holding both keys (Chromium refuses a get with two virtual authenticators):
    // sign in with the default (Blue), then with Green.
    await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.id, credential: { ...saved[0]!, isResidentCredential: false } });
    await context.clearCookies();
    await password(page, 'ada');
    await useKey(page, /^Use your security key or passkey$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed in');
    expect(await lastSecondFactor()).toMatchObject({ result: 'success', method: 'webauthn', device_token: blue!.id });

    await context.clearCookies();
    await password(page, 'ada');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Use Security key or passkey (Green key)' }).click()]);
    await useKey(page, /^Use your security key or passkey$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed in');
    expect(await lastSecondFactor()).toMatchObject({ result: 'success', method: 'webauthn', device_token: green!.id });

    // Remove Green from the portal; Blue still signs in, Green is no longer offered.
    await page.goto(`${base}/portal/methods`);
    await Promise.all([page.waitForLoadState('load'), page.locator(`tr[data-factor="${green!.id}"]`).getByRole('button', { name: 'Remove' }).click()]);
    await expect(page.locator('[role=status]').first().textContent()).resolves.toBe('The method was removed.');
    expect((await keys('ada')).map((k) => k.label)).toEqual(['Blue key']);
    await context.clearCookies();
    await password(page, 'ada');
    expect(await page.getByRole('button', { name: 'Use Security key or passkey (Green key)' }).count()).toBe(0);
    await useKey(page, /^Use your security key or passkey$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed in');
    await second.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: second.id });
  });

  it('shows the add-a-key page in French', async () => {
    const fr = await browser.newContext({ locale: 'fr-FR' });
    try {
      const p = await fr.newPage();
      p.setDefaultTimeout(15_000);
      await fr.addCookies(await context.cookies());
      await p.goto(`${base}/portal/methods`);
      expect(await p.locator('html').getAttribute('lang')).toBe('fr');
      await Promise.all([p.waitForURL(/\/portal\/methods\/key\//), p.getByRole('button', { name: 'Ajouter une clé de sécurité ou une clé d’accès' }).click()]);
      await expect(p.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Ajouter une clé de sécurité ou une clé d’accès');
      await expect(p.getByLabel('Nom de cette clé').count()).resolves.toBe(1);
      await expect(p.getByRole('link', { name: 'Retour à vos méthodes de connexion' }).count()).resolves.toBe(1);
    } finally {
      await fr.close();
    }
  });

  it('refuses an assertion without user verification for a user named in userVerificationRequiredFor', async () => {
    const auth = await addAuthenticator(page);
    await context.clearCookies();
    await password(page, 'root');
    // Registration asks for UV for root: the authenticator gives it.
    await useKey(page, /Register my security key or passkey/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed in');

    // Now the authenticator will not verify, and the page is made to ask only for "preferred"
    // (as a tampered or stale page would): the browser answers without the UV flag.
    await auth.cdp.send('WebAuthn.setUserVerified', { authenticatorId: auth.id, isUserVerified: false });
    await context.clearCookies();
    await password(page, 'root');
    const options = await page.locator('#webauthn').getAttribute('data-options');
    expect(JSON.parse(options!).userVerification).toBe('required');
    await page.locator('#webauthn').evaluate((el) => {
      const o = JSON.parse(el.getAttribute('data-options')!);
      o.userVerification = 'discouraged';
      el.setAttribute('data-options', JSON.stringify(o));
    });
    await useKey(page, /^Use your security key or passkey$/);
    expect(page.url()).toMatch(/\/mfa\//);
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('could not be verified');
    expect(await lastSecondFactor()).toMatchObject({ result: 'failure', method: 'webauthn', deny_reason: 'MISMATCH' });
    expect(h.logs.some((l) => l.includes('WebAuthn assertion refused') && /user verification/i.test(l))).toBe(true);
  });
});
