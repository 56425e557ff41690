/**
 * App passwords end to end (issue 19): created in headless Chromium at /portal/app-passwords,
 * used where accepted (RADIUS, with radclient as the real client against the RADIUS adapter of
 * the same host), revoked in the browser, then refused. The forms proxy takes none by design
 * (README: the app must receive the real password).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { radclient, radiusSection, startRadiusHost, type RadiusHost } from '../adapters/radius/support.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const MA = { 'Message-Authenticator': '0x00' };

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RadiusHost;
let browser: Browser;

beforeAll(async () => {
  h = await startRadiusHost({
    clock,
    users: [{ username: 'ada', password: 'ada-password-1', displayName: 'Ada Lovelace' }],
    config: { challenge: { enrolmentPolicy: 'enroll' } },
    radius: radiusSection({ appPasswords: true, groupAttributes: [] }),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${h.url}/login`);
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill('ada-password-1');
  await Promise.all([page.waitForURL(/\/mfa\//), page.getByRole('button', { name: 'Sign in' }).click()]);
  const s = decodeBase32(((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, ''));
  if (!s.ok) throw new Error('no secret on the page');
  clock.advance(30_000);
  await page.locator('#code').fill(generateTotp(s.bytes, clock.now()));
  await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.locator('#code').press('Enter')]);
}

describe('app passwords in headless Chromium, used over RADIUS', () => {
  it('creates one shown once, RADIUS accepts it, and refuses it once revoked in the portal', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await signIn(page);
      await page.goto(`${h.url}/portal/app-passwords`);
      await page.getByLabel(/Name of the program/).fill('VPN on my laptop');
      await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Create an app password' }).click()]);
      const password = ((await page.locator('#app-password').textContent()) ?? '').trim();
      expect(password).toMatch(/^[a-z2-9-]{20,}$/);
      // Shown once: the page reloaded does not show it again.
      await page.goto(`${h.url}/portal/app-passwords`);
      expect(await page.locator('#app-password').count()).toBe(0);
      expect(await page.locator('tr[data-app-password] th').allTextContents()).toEqual(['VPN on my laptop']);

      const ok = await radclient(h.port, { 'User-Name': 'ada', 'User-Password': password, ...MA });
      expect(ok.code).toBe('Access-Accept');

      await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Revoke', exact: true }).click()]);
      expect(await page.locator('tr[data-app-password]').count()).toBe(0);
      const refused = await radclient(h.port, { 'User-Name': 'ada', 'User-Password': password, ...MA });
      expect(refused.code).toBe('Access-Reject');
      expect(h.logs.join('\n')).not.toContain(password);
    } finally {
      await context.close();
    }
  });
});
