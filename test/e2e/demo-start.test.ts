/**
 * The `npm start` demo as a newcomer meets it: the built command `factorgate start` with no
 * configuration file, FACTORGATE_DATA in a temp folder and FACTORGATE_PORT a free port. The
 * test reads the start banner (standard error; the JSON log is standard output), then opens
 * every printed URL in headless Chromium and completes the flow there: the demo SAML relying
 * party (carol registers an authenticator app from the page), the sign-in and portal pages, and
 * the legacy app behind the forms proxy (alice, with a code the demo writes to its log).
 * A URL printed with another origin than the configuration's (127.0.0.1 for localhost) fails
 * here: the session and binding cookies belong to the configured origin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { freePort } from '../support/free-port.js';

const ROOT = resolve('.');
const BIN = join(ROOT, 'bin/factorgate.js');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';

interface Banner {
  text: string;
  /** label → URL, as printed. */
  urls: Map<string, string>;
  passwords: Map<string, string>;
}

let dir: string;
let port: number;
let child: ChildProcess;
let stdout = '';
let stderr = '';
let banner: Banner;
let browser: Browser;

function portFree(p: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(p, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

/** A port whose next two are free as well: the demo's proxy and legacy app take port + 1 and + 2. */
async function freePortRun(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort();
    if (p < 65_000 && (await portFree(p + 1)) && (await portFree(p + 2))) return p;
  }
  throw new Error('no run of three free ports');
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (child.exitCode !== null) throw new Error(`factorgate exited (${child.exitCode}) before ${what}:\n${stderr}\n${stdout.slice(-2000)}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parseBanner(text: string): Banner {
  const urls = new Map<string, string>();
  const passwords = new Map<string, string>();
  for (const line of text.split('\n')) {
    const link = /^ {2}([a-zA-Z][^:]*):\s+(https?:\/\/.+)$/.exec(line);
    if (link) urls.set(link[1]!, link[2]!.trim());
    const user = /^ {2}(alice|bob|carol)\s+(\S{4}-\S{4}-\S{4})\s/.exec(line);
    if (user) passwords.set(user[1]!, user[2]!);
  }
  return { text, urls, passwords };
}

function printed(label: string): string {
  const url = banner.urls.get(label);
  if (!url) throw new Error(`the banner prints no "${label}" URL:\n${banner.text}`);
  return url;
}

/** The code the demo's console senders wrote to the log after `since` (stdout offset). */
function revealedCode(since: number): string | undefined {
  for (const line of stdout.slice(since).split('\n')) {
    const m = /"demoRevealedCode":"(\d+)"/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

async function newContext(): Promise<BrowserContext> {
  return browser.newContext({ locale: 'en-GB', viewport: { width: 800, height: 1000 } });
}

async function heading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

async function signInAt(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm ci does)');
  // Other suites take ports too: a start that lost one of its three ports is tried again.
  for (let attempt = 1; ; attempt++) {
    dir = mkdtempSync(join(tmpdir(), 'fg-demo-start-'));
    port = await freePortRun();
    const env: NodeJS.ProcessEnv = { ...process.env, FACTORGATE_PORT: String(port), FACTORGATE_DATA: join(dir, 'data') };
    delete env.FACTORGATE_CONFIG;
    stdout = '';
    stderr = '';
    // The folder holds no factorgate.yaml: the embedded demo defaults apply, as after a clone.
    child = spawn(process.execPath, [BIN, 'start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    try {
      await waitFor('the start banner', () => (/\n {2}carol .*\n/.test(stderr) ? true : undefined));
      break;
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(stderr + stdout)) throw err;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  banner = parseBanner(stderr);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('factorgate start (the npm start demo) in headless Chromium', () => {
  it('prints the configured public origin, not the bound address, and says the demo ports follow FACTORGATE_PORT', async () => {
    const main = `http://localhost:${port}`;
    expect(banner.text).toContain(`factorgate is running at ${main} (listening on 127.0.0.1:${port})`);
    expect(printed('sign in')).toBe(`${main}/login`);
    expect(printed('your account')).toBe(`${main}/portal`);
    expect(printed('demo SAML relying party')).toBe(`${main}/saml/idp/demo-rp/`);
    expect(printed('demo legacy app behind the forms proxy')).toBe(`http://localhost:${port + 1}/`);
    expect(banner.text).toMatch(/ports follow FACTORGATE_PORT: the proxy listens on the main port \+ 1, the legacy app on \+ 2/);
    const everyUrl = banner.text.match(/https?:\/\/[^\s)]+/g) ?? [];
    expect(everyUrl.length).toBeGreaterThanOrEqual(7);
    for (const u of everyUrl) expect(new URL(u).hostname, u).toBe('localhost');
    expect([...banner.passwords.keys()]).toEqual(['alice', 'bob', 'carol']);

    // The IdP's own identity uses the same origin as the printed URLs (metadata is a download
    // for a browser: fetched here as a relying party would).
    const page = await browser.newPage();
    try {
      const res = await page.request.get(printed('SAML IdP metadata'));
      expect(res.status()).toBe(200);
      const xml = await res.text();
      expect(/entityID="([^"]+)"/.exec(xml)?.[1]).toBe(printed('SAML IdP metadata'));
      expect(/SingleSignOnService[^>]*Location="([^"]+)"/.exec(xml)?.[1]).toBe(`${main}/saml/idp/sso`);
      const health = printed('health').split(/\s+/);
      expect(health).toEqual([`${main}/healthz`, `${main}/readyz`]);
      for (const u of health) expect((await page.goto(u))?.status(), u).toBe(200);
    } finally {
      await page.close();
    }
  });

  it('the demo relying party: carol signs in, registers an app from the page, and arrives signed in with multi-factor context', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(printed('demo SAML relying party'));
      await page.getByRole('link', { name: 'Sign in with factorgate' }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).origin).toBe(new URL(printed('sign in')).origin);
      expect(new URL(page.url()).pathname).toBe('/login');
      await signInAt(page, 'carol', banner.passwords.get('carol')!);

      // carol has neither email nor phone: the demo shows authenticator enrolment.
      expect(await heading(page)).toBe('Set up two-step verification');
      expect(await page.locator('.qr svg').count()).toBe(1);
      const link = new URL((await page.locator('#totp-link').getAttribute('href'))!);
      expect(link.protocol).toBe('otpauth:');
      const shown = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
      expect(link.searchParams.get('secret')).toBe(shown);
      const secret = decodeBase32(shown);
      if (!secret.ok) throw new Error(`unreadable secret on the page: ${shown}`);
      await page.getByLabel('Verification code').fill(generateTotp(secret.bytes, Date.now()));
      await page.getByRole('button', { name: 'Verify and finish' }).click();
      await page.waitForURL(/\/saml\/idp\/demo-rp\/acs$/);
      expect(await heading(page)).toBe('Signed in to the demo relying party');
      expect(await page.locator('#name-id').textContent()).toBe('carol');
      expect(await page.locator('#authn-context').textContent()).toBe(MULTIPLE_AUTHN);
      expect(new URL(page.url()).origin).toBe(new URL(printed('demo SAML relying party')).origin);

      // The same browser at the printed sign-in URL is signed in at the IdP (one origin, one cookie).
      await page.goto(printed('sign in'));
      expect(await heading(page)).toBe('You are signed in');
      expect(await page.title()).toMatch(/^You are signed in/);
      await expect(page.getByRole('status').textContent()).resolves.toContain('Carol Lemaire');
      await page.getByRole('link', { name: /Your account/ }).click();
      await page.waitForLoadState();
      expect(page.url()).toBe(printed('your account'));
      expect(await heading(page)).toBe('Your account');
      expect(await page.locator('ul.methods li').allTextContents()).toEqual([expect.stringContaining('Authenticator app')]);

      // A new sign-in at the printed URL, in a fresh browser, asks for the app's code.
      const again = await newContext();
      try {
        const p2 = await again.newPage();
        await p2.goto(printed('your account'));
        expect(new URL(p2.url()).pathname).toBe('/login');
        await signInAt(p2, 'carol', banner.passwords.get('carol')!);
        expect(await heading(p2)).toBe('Verify it’s you');
        // The step after the one just used: within the accepted ±1 step, never a replay.
        await p2.locator('input[name="code"]').fill(generateTotp(secret.bytes, Date.now() + 30_000));
        await p2.locator('input[name="code"]').press('Enter');
        await p2.waitForLoadState();
        expect(await heading(p2)).toBe('You are signed in');
        await p2.goto(printed('your account'));
        expect(await heading(p2)).toBe('Your account');
      } finally {
        await again.close();
      }
    } finally {
      await context.close();
    }
  });

  it('the demo WS-Federation relying party: bob signs in with a code from the log and sees his claims; the printed metadata is for the printed origin', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      const res = await page.request.get(printed('WS-Federation metadata'));
      expect(res.status()).toBe(200);
      const xml = await res.text();
      expect(/entityID="([^"]+)"/.exec(xml)?.[1]).toBe(`http://localhost:${port}/wsfed`);
      expect(/PassiveRequestorEndpoint><wsa:EndpointReference[^>]*><wsa:Address>([^<]+)</.exec(xml)?.[1]).toBe(`http://localhost:${port}/wsfed`);

      await page.goto(printed('demo WS-Federation relying party'));
      await page.getByRole('link', { name: 'Sign in with factorgate' }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).origin).toBe(new URL(printed('sign in')).origin);
      expect(new URL(page.url()).pathname).toBe('/login');
      await signInAt(page, 'bob', banner.passwords.get('bob')!);
      const since = stdout.length;
      await page.locator('form:has(input[name="send"]) button[type="submit"]').click();
      await page.waitForLoadState();
      const code = await waitFor('a demo code in the log', () => revealedCode(since), 10_000);
      await page.locator('input[name="code"]').fill(code);
      await page.locator('input[name="code"]').press('Enter');
      await page.waitForURL(/\/wsfed\/demo-rp\/signin$/);
      expect(await heading(page)).toBe('Signed in to the demo WS-Federation relying party');
      expect(await page.locator('#name-id').textContent()).toBe('bob');
      expect(await page.locator('#authn-method').textContent()).toBe(MULTIPLE_AUTHN);
    } finally {
      await context.close();
    }
  });

  it('the legacy app behind the forms proxy: alice signs in to the app, passes a code from the log, and reaches the app page', async () => {
    const context = await newContext();
    try {
      const page = await context.newPage();
      const app = printed('demo legacy app behind the forms proxy');
      await page.goto(app);
      expect(new URL(page.url()).origin).toBe(new URL(app).origin);
      expect(new URL(page.url()).pathname).toBe('/Account/Login');
      const hint = (await page.locator('.hint').textContent()) ?? '';
      const legacyPassword = /with the password (\S+);/.exec(hint)?.[1];
      if (!legacyPassword) throw new Error(`the legacy app's login page names no password: ${hint}`);
      await page.getByLabel('User name').fill('alice');
      await page.getByLabel('Password').fill(legacyPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/mfa\//);
      expect(new URL(page.url()).origin).toBe(new URL(printed('sign in')).origin);
      expect(await heading(page)).toBe('Verify it’s you');

      // alice's methods are delivered codes: ask for one, read it where the demo writes it. The
      // form is found by its contract fields (`send`, `code`), not by wording that may change.
      const since = stdout.length;
      await page.locator('form:has(input[name="send"]) button[type="submit"]').click();
      await page.waitForLoadState();
      const code = await waitFor('a demo code in the log', () => revealedCode(since), 10_000);
      await page.locator('input[name="code"]').fill(code);
      await page.locator('input[name="code"]').press('Enter');
      await page.waitForURL((u) => u.origin === new URL(app).origin && u.pathname === '/');
      await expect(page.locator('#welcome').textContent()).resolves.toBe('Welcome, alice.');
    } finally {
      await context.close();
    }
  });
});
