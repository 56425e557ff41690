/**
 * A plugin as a user installs one: `npm pack` of factorgate and of examples/adapter-hello (its
 * `prepack` compiles it against the SDK), both tarballs installed into an empty folder, the
 * example named under `plugins:`, the host started with the installed `npx factorgate start`,
 * and the flow completed in headless Chromium: /hello/ sends alice to the sign-in page, she sets
 * up an authenticator app at her first challenge, and the example's page says hello with a
 * visit count from its own table; a second visit asks for a second factor again (no password:
 * she has a session) and the count goes up.
 *
 * The install is offline-capable as in test/cli/executable.test.ts: `--prefer-offline
 * --ignore-scripts` (dependencies from the npm cache `npm ci` filled), better-sqlite3's native
 * module copied from this checkout's build.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir } from '../support/host-harness.js';

const ROOT = process.cwd();
const EXAMPLE = join(ROOT, 'examples/adapter-hello');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const PASSWORD = 'wonderland-Rabbit-7';

let folder: string;
let port: number;
let base: string;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';
let browser: Browser;

// Real processes and a real browser on a shared machine: generous; nothing here measures speed.
vi.setConfig({ testTimeout: 120_000 });

/** `npm pack` of the package in `dir` into `dest`; answers the tarball's file name. */
function pack(dir: string, dest: string, extra: string[] = []): string {
  return execFileSync('npm', ['pack', '--silent', ...extra, '--pack-destination', dest], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!;
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`factorgate exited (${child.exitCode}) before ${what}:\n${stderr}\n${stdout.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${stderr}\n${stdout.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function heading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

beforeAll(async () => {
  // The tarball ships dist/: compile this checkout first (incremental, a few seconds).
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  folder = makeTempDir('fg-plugin-pack-');
  const factorgate = pack(ROOT, folder, ['--ignore-scripts']);
  const hello = pack(EXAMPLE, folder);
  const helloFiles = execFileSync('tar', ['-tzf', join(folder, hello)], { encoding: 'utf8' }).split('\n');
  expect(helloFiles).toContain('package/dist/index.js');
  expect(helloFiles).toContain('package/dist/index.d.ts');
  expect(helloFiles.filter((f) => f.includes('/src/'))).toEqual([]);

  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'factorgate-plugin-probe', private: true }));
  execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${factorgate}`, `./${hello}`], { cwd: folder, stdio: 'pipe' });
  const require = createRequire(join(ROOT, 'package.json'));
  const ours = dirname(require.resolve('better-sqlite3/package.json'));
  const theirs = join(folder, 'node_modules/better-sqlite3');
  mkdirSync(join(theirs, 'build/Release'), { recursive: true });
  copyFileSync(join(ours, 'build/Release/better_sqlite3.node'), join(theirs, 'build/Release/better_sqlite3.node'));

  // The users file, with a hash from the installed command (as the README tells an operator).
  const hash = execFileSync('npx', ['--no-install', 'factorgate', 'users', 'hash-password'], { cwd: folder, input: `${PASSWORD}\n`, encoding: 'utf8' }).trim();
  writeFileSync(join(folder, 'users.yaml'), stringify({ users: [{ username: 'alice', displayName: 'Alice Liddell', passwordHash: hash }] }));

  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(folder, 'factorgate.yaml'),
    stringify({
      dataDir: './data',
      server: { port, host: '127.0.0.1', publicUrl: base, shutdownTimeoutSeconds: 2 },
      directory: { type: 'file', path: 'users.yaml' },
      challenge: { enrolmentPolicy: 'enroll' },
      plugins: ['factorgate-adapter-hello'],
      adapters: { hello: { greeting: 'hello' } },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FACTORGATE_CONFIG;
  delete env.FACTORGATE_PORT;
  delete env.FACTORGATE_DATA;
  // Its own process group: npx and the node it starts end together.
  child = spawn('npx', ['--no-install', 'factorgate', 'start', '--config', 'factorgate.yaml'], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  await waitFor('the start banner', () => stderr.includes('factorgate is running at'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (child?.pid !== undefined && child.exitCode === null) {
    const pid = child.pid;
    const exited = new Promise((r) => child!.once('exit', r));
    process.kill(-pid, 'SIGTERM');
    // A busy machine may drain slowly: the group is killed outright after 15 s.
    const late = setTimeout(() => process.kill(-pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(late);
  }
  // The installed copy is about 80 MB of node_modules: not left behind in /tmp.
  if (folder) rmSync(folder, { recursive: true, force: true });
}, 60_000);

describe('the example plugin, packed, installed and started with npx factorgate start', () => {
  it('loads from the package named under plugins: and runs its own migration', () => {
    expect(stdout).toMatch(/"adapter":"hello","mountPath":"\/hello".*"msg":"adapter loaded"/);
    const db = new Database(join(folder, 'data', 'factorgate.db'), { readonly: true });
    try {
      expect(db.prepare('select name from hello_migrations').all()).toEqual([{ name: '001-visits' }]);
    } finally {
      db.close();
    }
  });

  it('check-config passes the configuration and reports a bad value in the plugin section with its key', () => {
    const ok = execFileSync('npx', ['--no-install', 'factorgate', 'check-config', '--config', 'factorgate.yaml'], { cwd: folder, encoding: 'utf8' });
    expect(ok).toContain('factorgate.yaml: OK');
    const bad = join(folder, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(folder, 'factorgate.yaml'), 'utf8').replace('greeting: hello', 'greeting: ""'));
    let err = '';
    try {
      execFileSync('npx', ['--no-install', 'factorgate', 'check-config', '--config', bad], { cwd: folder, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    expect(err).toContain(`${bad}: adapters.hello.greeting:`);
  });

  it('says hello after the second factor and counts a second visit, in Chromium', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/hello/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();

      // First challenge: alice has no method yet and sets up an authenticator app.
      expect(await heading(page)).toBe('Set up two-step verification');
      const shown = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
      const secret = decodeBase32(shown);
      if (!secret.ok) throw new Error(`unreadable secret on the page: ${shown}`);
      const firstAt = Date.now();
      await page.getByLabel('Verification code').fill(generateTotp(secret.bytes, firstAt));
      await page.getByRole('button', { name: 'Verify and finish' }).click();
      await page.waitForLoadState();
      expect(await heading(page)).toBe('hello Alice Liddell');
      expect(await page.locator('#visits strong').textContent()).toBe('1');

      // Second visit: she has a session, so no password, but a second factor again. A code is
      // used once: the next time step's code (within the default window of one step).
      await page.getByRole('link', { name: 'Once more' }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).pathname).toMatch(/^\/mfa\//);
      await page.getByLabel('Verification code').fill(generateTotp(secret.bytes, firstAt + 30_000));
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.waitForLoadState();
      expect(await heading(page)).toBe('hello Alice Liddell');
      expect(await page.locator('#visits strong').textContent()).toBe('2');
    } finally {
      await context.close();
    }

    // The count lives in the example's own table, keyed by the user's id.
    const db = new Database(join(folder, 'data', 'factorgate.db'), { readonly: true });
    try {
      const alice = db.prepare('select id from users where username = ?').get('alice') as { id: string };
      expect(db.prepare('select user_id, visits from hello_visits').all()).toEqual([{ user_id: alice.id, visits: 2 }]);
    } finally {
      db.close();
    }
  });

  it('a wrong code is refused on the challenge page with the neutral message: no greeting, nothing counted', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/hello/`);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).pathname).toMatch(/^\/mfa\//);
      await page.getByLabel('Verification code').fill('000000');
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.waitForLoadState();
      expect(await page.getByLabel('Verification code').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByRole('alert').textContent()).toContain('That code could not be accepted.');
      expect(await page.locator('#visits').count()).toBe(0);
    } finally {
      await context.close();
    }
    const db = new Database(join(folder, 'data', 'factorgate.db'), { readonly: true });
    try {
      expect(db.prepare('select visits from hello_visits').all()).toEqual([{ visits: 2 }]);
    } finally {
      db.close();
    }
  });
});
