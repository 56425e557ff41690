/**
 * End to end in headless Chromium (Debian's, through playwright-core): the demo WS-Federation
 * relying party sends the browser to /wsfed, the user signs in and enrols TOTP from the page,
 * the response page's same-origin script posts wa/wresult/wctx under its own CSP, and the relying
 * party (which verifies the token with xml-crypto and the published certificate) shows the
 * claims and the wctx it got back. Then sign-out through /wsfed cleans the relying party up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { decodeBase32, generateTotp } from '../../../src/otp/index.js';
import { startWsFed, type WsFedHost } from './support.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

let h: WsFedHost;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  h = await startWsFed({ demoRelyingParty: true });
  profile = mkdtempSync(join(tmpdir(), 'fg-chromium-wsfed-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, locale: 'en-GB' });
});
afterAll(async () => {
  await context?.close();
  await h?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('demo WS-Federation relying party in headless Chromium', () => {
  it('signs in through /wsfed, the form posts itself, the relying party shows the claims and the echoed wctx; sign-out cleans it up', async () => {
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${h.base}/demo-rp/`);
    await page.getByRole('link', { name: 'Sign in with factorgate' }).click();
    await page.waitForURL(/\/login\?l=/);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password-1');
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.waitForURL(/\/mfa\//);
    const secret = decodeBase32(((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, ''));
    if (!secret.ok) throw new Error('no secret on the page');
    await page.fill('#code', generateTotp(secret.bytes, h.clock.now()));
    await page.locator('form[method="post"] button[type="submit"]').first().click();
    await page.waitForURL(/\/wsfed\/demo-rp\/signin$/);
    expect(await page.locator('h1').textContent()).toBe('Signed in to the demo WS-Federation relying party');
    expect(await page.locator('#name-id').textContent()).toBe('alice');
    expect(await page.locator('#authn-method').textContent()).toBe('http://schemas.microsoft.com/claims/multipleauthn');
    expect(await page.locator('#wctx').textContent()).toMatch(/^rm=0&id=[A-Za-z0-9_-]{16}&ru=\/demo\?a="1"&b=<2>$/);
    expect(await page.locator('table').textContent()).toContain('alice@example.test');
    expect(cspViolations).toEqual([]);

    await page.locator('#sign-out').click();
    await page.waitForURL(/\/wsfed\?wa=wsignout1\.0/);
    expect(await page.locator('h1').textContent()).toBe('You are signed out');
    await expect.poll(() => requested.some((u) => u.endsWith('/wsfed/demo-rp/signin?wa=wsignoutcleanup1.0'))).toBe(true);
    await page.locator('#continue').click();
    await page.waitForURL(/\/wsfed\/demo-rp\/$/);
    // Signed out at the identity provider: signing in again asks for the password.
    await page.getByRole('link', { name: 'Sign in with factorgate' }).click();
    await page.waitForURL(/\/login\?l=/);
  });
});
