/**
 * The /admin console in headless Chromium (playwright-core, /usr/bin/chromium), used as a help
 * desk uses it, without any script of ours on the page: a help-desk admin signs in with a password
 * and a second factor, finds a locked user, sees the failures and unlocks them; resets a user whose
 * next sign-in then enrols again; grants a bypass that lets exactly one sign-in through; and is
 * refused the admin-only pages. Screenshots go to test-results/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser } from '../challenge/harness.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, enrolAtLogin, failCodes } from '../admin/console/console-support.js';

const ARTIFACTS = resolve('test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let chromiumBrowser: Chromium;
let helpdesk: BrowserContext;
let desk: Page;

/** Password, then the challenge page (enrolling from the secret on the page when asked); ends wherever the sign-in hands back. */
async function signIn(page: Page, user: { username: string; password: string }, secret?: Buffer): Promise<Buffer | undefined> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  if (new URL(page.url()).pathname.startsWith('/mfa/')) {
    let bytes = secret;
    const shown = page.locator('#totp-secret');
    if ((await shown.count()) > 0) {
      const decoded = decodeBase32(((await shown.textContent()) ?? '').replace(/\s/g, ''));
      if (!decoded.ok) throw new Error('unreadable secret on the page');
      bytes = decoded.bytes;
    }
    if (!bytes) throw new Error('challenged without a known secret');
    await page.getByLabel('Verification code').fill(generateTotp(bytes, clock.now()));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/mfa/')), page.getByRole('button', { name: /^Verify/ }).click()]);
    return bytes;
  }
  return secret;
}

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES } } });
  // Alice and Bob have signed in before and use an authenticator app.
  await enrolAtLogin(new Browser(h.url), clock, consoleUser('alice'));
  await enrolAtLogin(new Browser(h.url), clock, consoleUser('bob'));
  chromiumBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  helpdesk = await chromiumBrowser.newContext({ locale: 'en-GB', viewport: { width: 1200, height: 1000 }, javaScriptEnabled: false });
  desk = await helpdesk.newPage();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await chromiumBrowser?.close();
  await h?.close();
});

describe('the admin console in Chromium, without JavaScript', { timeout: 60_000 }, () => {
  it('signs a help-desk admin in with a password and a second factor', async () => {
    await desk.goto(`${h.url}/admin`);
    expect(new URL(desk.url()).pathname).toBe('/login');
    clock.advance(30_000);
    await signIn(desk, consoleUser('hd'));
    expect(new URL(desk.url()).pathname).toBe('/admin');
    await expect(desk.locator('main').textContent()).resolves.toContain('Signed in as hd (help desk).');
    const cookie = (await helpdesk.cookies(h.url)).find((c) => c.name === 'fg_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', expires: -1 });
  });

  it('finds a locked user, sees the failures, and unlocks them with a reason', async () => {
    clock.advance(60_000);
    await failCodes(new Browser(h.url), consoleUser('alice'), 5);

    await desk.getByLabel(/Search by username/).fill('ALI');
    await desk.getByRole('button', { name: 'Search' }).click();
    await desk.waitForLoadState();
    await expect(desk.locator('#users tbody tr').count()).resolves.toBe(1);
    await expect(desk.locator('#users .locked').textContent()).resolves.toMatch(/^locked until /);
    await desk.getByRole('link', { name: 'alice' }).click();
    await desk.waitForLoadState();
    await expect(desk.locator('#lock').textContent()).resolves.toMatch(/^locked until /);
    await expect(desk.locator('#history-table .deny-reason', { hasText: 'LOCKED' }).count()).resolves.toBeGreaterThan(0);
    await expect(desk.locator('main').textContent()).resolves.toContain('5 failed attempts counted');
    await desk.screenshot({ path: join(ARTIFACTS, 'admin-user-locked.png'), fullPage: true });

    await desk.getByRole('link', { name: 'Unlock' }).click();
    await desk.waitForLoadState();
    await expect(desk.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Confirm: Unlock for alice');
    await desk.getByLabel('Reason (kept in the audit record)').fill('call 4411: locked out');
    await desk.getByRole('button', { name: 'Confirm' }).click();
    await desk.waitForLoadState();
    await expect(desk.locator('#done').textContent()).resolves.toBe('Done: Unlock.');
    await expect(desk.locator('#lock').textContent()).resolves.toBe('not locked');
    await expect(desk.locator('#history-table').textContent()).resolves.toContain('"admin":"console:hd"');
  });

  it('resets a user’s methods, and their next sign-in enrols again', async () => {
    await desk.goto(`${h.url}/admin/users/alice`);
    await desk.getByRole('link', { name: 'Reset all methods' }).click();
    await desk.getByLabel('Reason (kept in the audit record)').fill('lost phone');
    await desk.getByRole('button', { name: 'Confirm' }).click();
    await desk.waitForLoadState();
    await expect(desk.locator('main').textContent()).resolves.toContain('No method enrolled');

    const ctx = await chromiumBrowser.newContext({ locale: 'en-GB' });
    try {
      const page = await ctx.newPage();
      await page.goto(`${h.url}/login`);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('alice-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up two-step verification');
    } finally {
      await ctx.close();
    }
  });

  it('grants a one-time bypass that lets exactly one sign-in through', async () => {
    await desk.goto(`${h.url}/admin/users/bob`);
    await desk.getByRole('link', { name: 'One-time bypass' }).click();
    await desk.getByLabel(/^Minutes/).fill('10');
    await desk.getByLabel('Reason (kept in the audit record)').fill('phone left at home');
    await desk.getByRole('button', { name: 'Confirm' }).click();
    await desk.waitForLoadState();
    await expect(desk.locator('#bypass').textContent()).resolves.toMatch(/^usable once until .*granted by console:hd \(phone left at home\)/);

    for (const expected of ['signed in without a code', 'challenged again']) {
      const ctx = await chromiumBrowser.newContext({ locale: 'en-GB' });
      try {
        const page = await ctx.newPage();
        await page.goto(`${h.url}/login`);
        clock.advance(30_000);
        await page.getByLabel('Username').fill('bob');
        await page.getByLabel('Password').fill('bob-password-1');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForLoadState();
        const title = await page.getByRole('heading', { level: 1 }).textContent();
        expect(title, expected).toBe(expected === 'signed in without a code' ? 'You are signed in' : 'Verify it’s you');
      } finally {
        await ctx.close();
      }
    }
    await desk.goto(`${h.url}/admin/users/bob`);
    await expect(desk.locator('#bypass').textContent()).resolves.toBe('none');
    await expect(desk.locator('#history-table').textContent()).resolves.toContain('bypass-used');
  });

  it('refuses the help desk the admin-only pages and actions', async () => {
    await desk.goto(`${h.url}/admin/users/bob`);
    await expect(desk.getByRole('link', { name: 'Disable sign-in' }).count()).resolves.toBe(0);
    const r = await desk.goto(`${h.url}/admin/users/bob/confirm/disable`);
    expect(r?.status()).toBe(403);
    await expect(desk.getByRole('alert').textContent()).resolves.toBe('You are not allowed to do this.');
    const stock = await desk.goto(`${h.url}/admin/tokens`);
    expect(stock?.status()).toBe(403);
  });
});
