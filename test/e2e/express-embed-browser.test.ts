/**
 * Embedding, end to end: factorgate started as the command with the embed adapter, the example
 * app (examples/express-app: Express, passport, factorgate/express) as its own process, and
 * headless Chromium. A user the app signed in opens /payroll, is sent to factorgate, sets up an
 * authenticator and verifies, and is back on /payroll with `req.user.mfa` shown. Then the attacks:
 * a tampered, replayed, expired, other-audience or other-session result is refused by the app;
 * a request with a return URL off the allowlist, a forged or unsigned request, a replayed
 * request, an unknown client, an unknown or disabled user are refused by factorgate, without a
 * redirect. Every refusal leaves its reason in the log or the audit record.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir, writeUsersFile } from '../support/host-harness.js';
import { startExampleApp, startFactorgate, type RunningProcess } from './support/embed-rig.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const APP_USERS = [
  { username: 'alice', password: 'alice-app-password', displayName: 'Alice Martin' },
  { username: 'bob', password: 'bob-app-password', displayName: 'Bob Durand' },
  { username: 'carol', password: 'carol-app-password', displayName: 'Carol (disabled in factorgate)' },
  { username: 'mallory', password: 'mallory-app-password', displayName: 'Mallory (unknown to factorgate)' },
];
/** Results live 10 s here (the shortest allowed), so the expired case waits little. */
const RESULT_LIFETIME_S = 10;

// Real processes and a real browser on a shared machine: generous; nothing here measures speed.
vi.setConfig({ testTimeout: 120_000 });

let folder: string;
let fg: RunningProcess;
let app: RunningProcess;
let browser: Browser;
let fgUrl: string;
let appUrl: string;
const secrets = { intranet: randomBytes(32).toString('base64url'), other: randomBytes(32).toString('base64url') };
/** The kid of the first result's signing key. */
let resultKid = '';
/** Each user's TOTP secret (set up at their first challenge) and the last time step used. */
const totp = new Map<string, { secret: Buffer; step: number }>();

beforeAll(async () => {
  folder = makeTempDir('fg-embed-');
  const fgPort = await freePort();
  const appPort = await freePort();
  fgUrl = `http://127.0.0.1:${fgPort}`;
  appUrl = `http://127.0.0.1:${appPort}`;
  await writeUsersFile(folder, [
    { username: 'alice', password: 'unused-here-1', displayName: 'Alice Martin' },
    { username: 'bob', password: 'unused-here-2', displayName: 'Bob Durand' },
    { username: 'carol', password: 'unused-here-3', disabled: true },
  ]);
  writeFileSync(join(folder, 'intranet.secret'), `${secrets.intranet}\n`);
  writeFileSync(join(folder, 'other.secret'), `${secrets.other}\n`);
  writeFileSync(
    join(folder, 'factorgate.yaml'),
    stringify({
      dataDir: './data',
      server: { port: fgPort, host: '127.0.0.1', publicUrl: fgUrl, shutdownTimeoutSeconds: 2 },
      directory: { type: 'file', path: 'users.yaml' },
      challenge: { enrolmentPolicy: 'enroll' },
      adapters: {
        embed: {
          resultLifetime: `${RESULT_LIFETIME_S}s`,
          clients: [
            { id: 'intranet', secretFile: 'intranet.secret', returnUrls: [`${appUrl}/`] },
            { id: 'other-app', secretFile: 'other.secret', returnUrls: [`${appUrl}/other`] },
          ],
        },
      },
    }),
  );
  fg = await startFactorgate(folder, 'factorgate.yaml');
  mkdirSync(join(folder, 'app'));
  app = await startExampleApp(join(folder, 'app'), {
    FACTORGATE_URL: fgUrl,
    FACTORGATE_CLIENT: 'intranet',
    FACTORGATE_SECRET_FILE: join(folder, 'intranet.secret'),
    PORT: String(appPort),
    APP_USERS: JSON.stringify(APP_USERS),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await fg?.close();
}, 60_000);

async function heading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

/** A browser signed in to the example app as `username`. */
async function signedInToApp(username: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${appUrl}/login`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(APP_USERS.find((u) => u.username === username)!.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  return { context, page };
}

/** A code for the user's next unused time step (TOTP steps are used once). */
function nextCode(username: string): string {
  const t = totp.get(username)!;
  const step = Math.max(t.step + 1, Math.floor(Date.now() / 30_000) - 1);
  t.step = step;
  return generateTotp(t.secret, step * 30_000);
}

/** On factorgate's challenge page: set up the authenticator at the first challenge, then verify. */
async function passChallenge(page: Page, username: string): Promise<void> {
  expect(new URL(page.url()).origin).toBe(fgUrl);
  if ((await heading(page)) === 'Set up two-step verification') {
    const shown = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
    const secret = decodeBase32(shown);
    if (!secret.ok) throw new Error(`unreadable secret on the page: ${shown}`);
    totp.set(username, { secret: Buffer.from(secret.bytes), step: Math.floor(Date.now() / 30_000) - 2 });
    await page.getByLabel('Verification code').fill(nextCode(username));
    await page.getByRole('button', { name: 'Verify and finish' }).click();
  } else {
    await page.getByLabel('Verification code').fill(nextCode(username));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
  }
}

/**
 * Runs a challenge from the page's current navigation and holds the result factorgate sends
 * back (the browser never delivers it): answers the result token and the URL it was sent to.
 */
async function holdResult(context: BrowserContext, page: Page, username: string, start: () => Promise<unknown>): Promise<{ token: string; url: URL }> {
  let held: URL | null = null;
  await context.route((u) => u.searchParams.has('fg_result'), async (route) => {
    held = new URL(route.request().url());
    await route.abort();
  });
  await start().catch(() => undefined);
  await page.waitForURL((u) => u.origin === fgUrl && u.pathname.startsWith('/mfa/'));
  await passChallenge(page, username);
  await expect.poll(() => held, { timeout: 30_000 }).not.toBeNull();
  await context.unrouteAll();
  const url = held! as URL;
  return { token: url.searchParams.get('fg_result')!, url };
}

/** Delivers a result to the app in this browser, as factorgate's redirect would. */
async function deliver(page: Page, token: string): Promise<{ status: number; text: string }> {
  const reply = await page.goto(`${appUrl}/payroll?fg_result=${encodeURIComponent(token)}`);
  return { status: reply?.status() ?? 0, text: (await page.textContent('body')) ?? '' };
}

function auditRows(event: string): Array<{ username: string | null; result: string; deny_reason: string | null; relying_party: string | null; method: string | null }> {
  const db = new Database(join(folder, 'data', 'factorgate.db'), { readonly: true });
  try {
    return db.prepare('select username, result, deny_reason, relying_party, method from audit_events where event = ? order by ts, rowid').all(event) as never;
  } finally {
    db.close();
  }
}

/** A request signed as an app would sign it (HS256 under `secret`), with any claims overridden. */
async function appRequest(claims: Record<string, unknown>, options: { secret?: string; iss?: string; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body = { nonce: randomBytes(24).toString('base64url'), return_to: `${appUrl}/payroll`, ...claims };
  return new SignJWT(body)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'fg-request+jwt' })
    .setIssuer(options.iss ?? 'intranet')
    .setAudience(`${fgUrl}/embed`)
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(new TextEncoder().encode(options.secret ?? secrets.intranet));
}

async function startWith(token: string): Promise<Response> {
  return fetch(`${fgUrl}/embed/start?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
}

describe('an Express app with factorgate/express, factorgate and Chromium', () => {
  let aliceResult = '';

  it('sends a signed-in user without a second factor to factorgate and back, with req.user.mfa shown', async () => {
    const { context, page } = await signedInToApp('alice');
    try {
      expect(await page.textContent('#who')).toContain('Alice Martin');
      const results: string[] = [];
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.searchParams.has('fg_result')) results.push(u.searchParams.get('fg_result')!);
      });
      await page.goto(`${appUrl}/payroll`);
      // requireMfa sent alice to factorgate's entry with a signed request, which began the challenge.
      expect(new URL(page.url()).pathname).toMatch(/^\/mfa\//);
      await passChallenge(page, 'alice');
      await page.waitForURL(`${appUrl}/payroll`);
      expect(await heading(page)).toBe('Payroll for Alice Martin');
      expect(await page.textContent('#methods')).toBe('totp');
      const at = Date.parse((await page.textContent('#at')) ?? '');
      expect(Math.abs(at - Date.now())).toBeLessThan(120_000);
      expect(results).toHaveLength(1);
      aliceResult = results[0]!;
      resultKid = String(decodeProtectedHeader(aliceResult).kid);
      const claims = decodeJwt(aliceResult);
      expect(claims).toMatchObject({ iss: `${fgUrl}/embed`, aud: 'intranet', sub: 'alice', methods: ['totp'], mfa: true });
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(RESULT_LIFETIME_S);

      // The factor is in the session: the page opens again without factorgate.
      await page.goto(`${appUrl}/payroll`);
      expect(page.url()).toBe(`${appUrl}/payroll`);
      expect(await heading(page)).toBe('Payroll for Alice Martin');

      // A replayed result, in the same session or in another of alice's, is refused.
      expect((await deliver(page, aliceResult)).status).toBe(401);
      const other = await signedInToApp('alice');
      try {
        const replay = await deliver(other.page, aliceResult);
        expect(replay.status).toBe(401);
        expect(replay.text).toContain('refused');
      } finally {
        await other.context.close();
      }
    } finally {
      await context.close();
    }
    // One audit record for the authentication, naming the app and the method.
    expect(auditRows('embed.result')).toEqual([{ username: 'alice', result: 'success', deny_reason: null, relying_party: 'intranet', method: 'totp' }]);
    expect(app.out()).toMatch(/result refused \(NONCE_UNKNOWN\)/);
  });

  it('refuses a tampered result and a result meant for another session, then takes the real one', async () => {
    const bob = await signedInToApp('bob');
    const alice = await signedInToApp('alice');
    try {
      const { token } = await holdResult(bob.context, bob.page, 'bob', () => bob.page.goto(`${appUrl}/payroll`));
      // Bob's result delivered into alice's session: her session sent no such nonce, and she is not bob.
      const crossed = await deliver(alice.page, token);
      expect(crossed.status).toBe(401);
      expect(alice.page.url()).not.toBe(`${appUrl}/payroll`);
      // One character of the payload changed (sub: bob → another name), the signature kept.
      const [h, p, s] = token.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forgedPayload = Buffer.from(JSON.stringify({ ...payload, methods: ['webauthn'] })).toString('base64url');
      expect((await deliver(bob.page, `${h}.${forgedPayload}.${s}`)).status).toBe(401);
      const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
      expect((await deliver(bob.page, `${h}.${p}.${flipped}`)).status).toBe(401);
      // The real result still opens the page in bob's own session: the refusals were the tampering's.
      const real = await deliver(bob.page, token);
      expect(real.status).toBe(200);
      expect(bob.page.url()).toBe(`${appUrl}/payroll`);
      expect(await heading(bob.page)).toBe('Payroll for Bob Durand');
    } finally {
      await bob.context.close();
      await alice.context.close();
    }
    expect(app.out()).toMatch(/result refused \(BAD_SIGNATURE\)/);
  });

  it('refuses a result issued for another audience, even with the right user and nonce', async () => {
    const { context, page } = await signedInToApp('alice');
    try {
      // The app sends alice to factorgate; the request names her and this session's nonce.
      let request = '';
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.origin === fgUrl && u.pathname === '/embed/start') request = u.searchParams.get('token') ?? '';
      });
      await page.goto(`${appUrl}/payroll`);
      expect(new URL(page.url()).pathname).toMatch(/^\/mfa\//);
      const { nonce, sub } = decodeJwt(request) as { nonce: string; sub: string };
      // The other app (same user, same nonce) asks factorgate; its result is for audience other-app.
      const otherRequest = await appRequest({ sub, nonce, return_to: `${appUrl}/other/landing` }, { iss: 'other-app', secret: secrets.other });
      const { token, url } = await holdResult(context, page, 'alice', () => page.goto(`${fgUrl}/embed/start?token=${encodeURIComponent(otherRequest)}`));
      expect(url.pathname).toBe('/other/landing');
      expect(decodeJwt(token)).toMatchObject({ aud: 'other-app', sub: 'alice', nonce });
      const reply = await deliver(page, token);
      expect(reply.status).toBe(401);
      expect(await page.textContent('body')).not.toContain('Payroll');
    } finally {
      await context.close();
    }
    expect(app.out()).toMatch(/result refused \(WRONG_AUDIENCE\)/);
  });

  it('refuses an expired result', async () => {
    const { context, page } = await signedInToApp('bob');
    try {
      const { token } = await holdResult(context, page, 'bob', () => page.goto(`${appUrl}/payroll`));
      const { exp } = decodeJwt(token) as { exp: number };
      // Past its expiry and the app's 5 s of clock tolerance.
      await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 + 6_000 - Date.now())));
      const reply = await deliver(page, token);
      expect(reply.status).toBe(401);
    } finally {
      await context.close();
    }
    expect(app.out()).toMatch(/result refused \(EXPIRED\)/);
  });
});

describe('factorgate refuses a bad request from an app, and never redirects for it', () => {
  async function refused(token: string, status: number): Promise<void> {
    const reply = await startWith(token);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('location')).toBeNull();
  }

  it('refuses return URLs off the allowlist (open redirect)', async () => {
    for (const returnTo of ['https://evil.example/payroll', `${appUrl.replace('127.0.0.1', 'localhost')}/payroll`, `http://127.0.0.1:1/payroll`, `${appUrl}@evil.example/`, 'javascript:alert(1)', '//evil.example/']) {
      await refused(await appRequest({ return_to: returnTo }), 400);
    }
    // other-app may return only to /other and below, not to a look-alike path.
    await refused(await appRequest({ return_to: `${appUrl}/other-but-not-below` }, { iss: 'other-app', secret: secrets.other }), 400);
    expect(auditRows('embed.request').filter((r) => r.deny_reason === 'RETURN_URL_REFUSED')).toHaveLength(7);
  });

  it('refuses forged and unsigned requests, an unknown client, and a request used twice', async () => {
    await refused(await appRequest({}, { secret: randomBytes(32).toString('base64url') }), 400);
    const good = await appRequest({});
    const [h, p, s] = good.split('.') as [string, string, string];
    const asBob = Buffer.from(JSON.stringify({ ...decodeJwt(good), sub: 'bob' })).toString('base64url');
    await refused(`${h}.${asBob}.${s}`, 400);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'fg-request+jwt' })).toString('base64url');
    await refused(`${none}.${p}.`, 400);
    await refused(await appRequest({}, { iss: 'nobody', secret: secrets.intranet }), 400);
    await refused('not-a-token', 400);
    // The good request is used once: it begins a challenge, then it is spent.
    const first = await startWith(good);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toMatch(new RegExp(`^${fgUrl}/mfa/`));
    await refused(good, 400);
    const reasons = auditRows('embed.request').map((r) => r.deny_reason);
    expect(reasons).toEqual(expect.arrayContaining(['BAD_SIGNATURE', 'UNKNOWN_CLIENT', 'MALFORMED_REQUEST', 'REQUEST_REPLAYED']));
    expect(auditRows('embed.request').find((r) => r.deny_reason === 'UNKNOWN_CLIENT')?.relying_party).toBeNull();
    expect(fg.out()).toContain('embed request refused');
    expect(fg.out()).not.toContain(good);
  });

  it('refuses users the directory does not know or has disabled, with one page for both', async () => {
    const unknown = await startWith(await appRequest({ sub: 'mallory' }));
    const disabled = await startWith(await appRequest({ sub: 'carol' }));
    expect(unknown.status).toBe(403);
    expect(disabled.status).toBe(403);
    expect(await unknown.text()).toBe(await disabled.text());
    expect(auditRows('embed.request').filter((r) => r.deny_reason === 'UNKNOWN_USER' || r.deny_reason === 'USER_DISABLED').map((r) => [r.username, r.deny_reason])).toEqual([
      ['mallory', 'UNKNOWN_USER'],
      ['carol', 'USER_DISABLED'],
    ]);
  });

  it('publishes the result signing key as a JWKS', async () => {
    const reply = await fetch(`${fgUrl}/embed/jwks.json`);
    expect(reply.status).toBe(200);
    const { keys } = (await reply.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    // The key that signed alice's result is the one published.
    expect(keys.map((k) => k.kid)).toContain(resultKid);
  });
});
