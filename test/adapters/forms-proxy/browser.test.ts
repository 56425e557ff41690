/**
 * Headless Chromium signs in to the legacy app through the proxy and the real challenge page
 * (TOTP enrolment): no app cookie before the second factor, the app's cookie and page after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateTotp } from '../../../src/otp/index.js';
import { ALICE, secretOnPage, startRig, type Rig } from './support/rig.js';

let rig: Rig;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  rig = await startRig();
  profile = mkdtempSync(join(tmpdir(), 'fg-chromium-'));
  // A fresh profile folder per run (Playwright passes it as --user-data-dir).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

afterAll(async () => {
  await context?.close();
  await rig?.close();
  rmSync(profile, { recursive: true, force: true });
});

it('signs in through the proxy with the second factor in between', async () => {
  const page = await context.newPage();
  const appCookie = async () => (await context.cookies(rig.app)).find((c) => c.name === '.ASPXAUTH');

  await page.goto(`${rig.app}/secret`);
  expect(new URL(page.url()).pathname).toBe('/Account/Login');
  await page.fill('#username', ALICE.username);
  await page.fill('#password', ALICE.password);
  await Promise.all([page.waitForURL(/\/mfa\//), page.click('#signin')]);

  // At the challenge: the app has accepted the password, but the browser holds no app session.
  expect(await appCookie()).toBeUndefined();
  expect(rig.legacy.logins).toEqual(['alice']);

  // First sign-in: the real challenge page enrols TOTP; the test plays the authenticator app.
  const secret = secretOnPage(await page.content());
  await page.fill('input[name="code"]', generateTotp(secret, rig.clock.now()));
  await Promise.all([page.waitForURL(`${rig.app}/`), page.press('input[name="code"]', 'Enter')]);
  expect(await page.textContent('#welcome')).toBe('Welcome, alice.');
  const cookie = await appCookie();
  expect(cookie?.httpOnly).toBe(true);
  expect((await context.cookies(rig.app)).some((c) => c.name === 'fg_intranet')).toBe(true);

  await page.goto(`${rig.app}/secret`);
  expect(await page.textContent('#secret')).toContain('payroll for alice');
});
