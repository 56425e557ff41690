/**
 * The challenge page in a real browser (Debian's headless Chromium through playwright-core):
 * enrol by reading the secret off the page, sign in again with a computed code typed from the
 * keyboard, and keep a screenshot of the challenge page as a test artifact.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { addUser, startHarness, type Harness } from '../challenge/harness.js';

const ARTIFACTS = resolve('test-results');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

let h: Harness;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  h = await startHarness({ config: { branding: { productName: 'factorgate demo' } } });
  await addUser(h, 'ada');
  profile = mkdtempSync(join(tmpdir(), 'fg-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    locale: 'en-GB',
    viewport: { width: 800, height: 1000 },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await h?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('challenge page in headless Chromium', () => {
  it('enrols from the secret on the page, then signs in with a computed code typed at the keyboard', async () => {
    const page = await context.newPage();
    await page.goto(`${h.url}/test-app/start?user=ada`);
    expect(new URL(page.url()).pathname).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up two-step verification');
    expect(await page.locator('.qr svg').count()).toBe(1);
    expect(await page.getByRole('img').first().getAttribute('aria-label')).toContain('QR code');
    await page.screenshot({ path: join(ARTIFACTS, 'challenge-enrol.png'), fullPage: true });

    const text = (await page.locator('#totp-secret').textContent()) ?? '';
    const secret = decodeBase32(text.replace(/\s/g, ''));
    if (!secret.ok) throw new Error(`unreadable secret on the page: ${text}`);
    expect(secret.bytes.length).toBe(20);

    // The field is found by its label, as a screen reader user would.
    await page.getByLabel('Verification code').fill(generateTotp(secret.bytes, h.clock.now()));
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with totp');

    const cookies = await context.cookies(h.url);
    const session = cookies.find((c) => c.name === 'fg_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    // Second sign-in: the challenge page, answered from the keyboard only.
    h.clock.advance(30_000);
    await page.goto(`${h.url}/test-app/start?user=ada`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Verify it’s you');
    expect(await page.locator('.qr').count()).toBe(0);
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('code'); // autofocus
    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That code could not be accepted. Check it and try again.');
    expect(await page.getByLabel('Verification code').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'challenge-page.png'), fullPage: true });

    await page.getByLabel('Verification code').focus();
    await page.keyboard.type(generateTotp(secret.bytes, h.clock.now()));
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with totp');
    expect(h.record.outcomes.map((o) => o.result)).toEqual(['verified', 'verified']);
  });

  it('shows the page in French for a French browser', async () => {
    const fr = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const ctx = await fr.newContext({ locale: 'fr-FR' });
      const page = await ctx.newPage();
      await page.goto(`${h.url}/test-app/start?user=ada`);
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Vérifiez votre identité');
      expect(await page.getByLabel('Code de vérification').count()).toBe(1);
    } finally {
      await fr.close();
    }
  });
});
