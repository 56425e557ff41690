/**
 * The demo relying party in headless Chromium (Debian's, through playwright-core): the browser
 * follows the AuthnRequest, signs in, enrols TOTP from the secret on the page, and the response
 * page's same-origin script submits the SAML form under its own CSP (`script-src 'self'`,
 * `form-action` the ACS origin), landing on the demo RP's page with the multi-factor context.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { decodeBase32, generateTotp } from '../../../src/otp/index.js';
import { startIdp, type IdpHost } from './support.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

let idp: IdpHost;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  idp = await startIdp({ demoRelyingParty: true });
  profile = mkdtempSync(join(tmpdir(), 'fg-chromium-saml-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, locale: 'en-GB' });
});
afterAll(async () => {
  await context?.close();
  await idp?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('demo relying party in headless Chromium', () => {
  it('signs in and the response form submits itself to the demo RP', async () => {
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${idp.base}/demo-rp/`);
    await page.getByRole('link', { name: 'Sign in with factorgate' }).click();
    await page.waitForURL(/\/login\?l=/);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password-1');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(/\/mfa\//);
    const secret = decodeBase32(((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, ''));
    if (!secret.ok) throw new Error('no secret on the page');
    await page.fill('#code', generateTotp(secret.bytes, idp.clock.now()));
    await page.locator('form[method="post"] button[type="submit"]').first().click();
    await page.waitForURL(/\/saml\/idp\/demo-rp\/acs$/);
    await expect(page.locator('#authn-context').textContent()).resolves.toBe('http://schemas.microsoft.com/claims/multipleauthn');
    await expect(page.locator('#name-id').textContent()).resolves.toBe('alice');
    expect(cspViolations).toEqual([]);
  });
});
