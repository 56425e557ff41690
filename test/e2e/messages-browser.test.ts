/**
 * Issue 26 items 6 and 7 in a real browser (Debian's headless Chromium through playwright-core),
 * against a real host (`createHost`, `/login`, the file directory, an SMS gateway that records
 * what it is asked to send): the delivered-code page offers "Send me a code" first and asks for
 * the code only after a send; a locked user meets the lock page after a right password.
 * Screenshots go to test-results/ as artifacts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { accepting, codeOf, httpProvider, startRecorder, type Recorder } from '../factors/support/delivered.js';

const ARTIFACTS = resolve('test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

let h: RunningHost;
let rec: Recorder;
let context: BrowserContext;
let profile: string;
const clock = new ManualClock(T0);

beforeAll(async () => {
  rec = await startRecorder(accepting());
  h = await startHost({
    clock,
    config: {
      branding: { timeZone: 'Europe/Paris', helpdesk: { text: 'Call the service desk on 4242.', url: 'tel:4242' } },
      challenge: { ttlSeconds: 900 },
      factors: { sms: {}, email: { transport: 'console' } },
      delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms') },
    },
  });
  profile = mkdtempSync(join(tmpdir(), 'fg-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, locale: 'en-GB', viewport: { width: 800, height: 1000 } });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await h?.close();
  await rec?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${h.url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}

describe('what users are told, in headless Chromium', () => {
  it('delivered codes: "Send me a code" first, choosing a method does not send, the code field after a send', async () => {
    const page = await context.newPage();
    await signIn(page, 'alice', 'alice-password-1');
    expect(new URL(page.url()).pathname).toMatch(/^\/mfa\//);
    // Email is shown first; nothing has been sent and no code is asked for.
    await expect(page.getByRole('button', { name: 'Send me a code' }).isVisible()).resolves.toBe(true);
    expect(await page.getByLabel('Enter the code we sent').count()).toBe(0);

    await page.getByRole('button', { name: 'Use Text message' }).click();
    await page.waitForLoadState();
    await expect(page.locator('#send-hint').textContent()).resolves.toBe('Method: Text message. We send a code when you ask for one.');
    expect(await page.getByLabel('Enter the code we sent').count()).toBe(0);
    expect(rec.requests).toHaveLength(0);
    await page.screenshot({ path: join(ARTIFACTS, 'delivered-send-first.png'), fullPage: true });

    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('status').textContent()).resolves.toBe('A code is on its way.');
    expect(rec.requests).toHaveLength(1);
    const field = page.getByLabel('Enter the code we sent');
    await expect(field.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Send a new code' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'delivered-enter-code.png'), fullPage: true });

    // Asking again at once: the page says how long to wait.
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('status').textContent()).resolves.toBe('A code was sent a moment ago. You can ask for another one in 30 seconds.');
    expect(rec.requests).toHaveLength(1);

    await page.getByLabel('Enter the code we sent').fill(codeOf(rec.requests[0]!));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForLoadState();
    await expect(page.locator('main').textContent()).resolves.toContain('You are signed in as Alice Martin.');
    await page.close();
  });

  it('the lock page: after the right password, until when in the configured zone, and the help desk', async () => {
    await h.host.api.store.db.updateTable('users').set({ failed_attempts: 5, locked_until: clock.now() + 15 * 60_000 }).where('username', '=', 'alice').execute();
    await context.clearCookies();
    const page = await context.newPage();
    try {
      // A wrong password: the answer every wrong password gets.
      await signIn(page, 'alice', 'not-her-password');
      await expect(page.getByRole('alert').textContent()).resolves.toBe('The username or password is incorrect.');

      await signIn(page, 'alice', 'alice-password-1');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Two-step verification is locked');
      const time = page.locator('#denial time');
      await expect(time.getAttribute('datetime')).resolves.toBe('2026-03-01T09:15:00.000Z');
      await expect(time.textContent()).resolves.toBe('1 March 2026 at 10:15 (Europe/Paris, UTC+01:00)');
      await expect(page.getByRole('link', { name: 'Call the service desk on 4242.' }).getAttribute('href')).resolves.toBe('tel:4242');
      expect(await page.locator('input[name="code"]').count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, 'lock-page.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
