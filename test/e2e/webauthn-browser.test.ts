/**
 * Security keys and passkeys in a real browser: Debian's headless Chromium through
 * playwright-core, with the DevTools virtual authenticator (CTAP2, resident keys, user
 * verification) answering `navigator.credentials`. Enrol at sign-in, sign in, a replayed
 * assertion, a cloned key (counter regression), the origin and RP ID checks, the attestation
 * allowlist, and the page in English and French.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { addUser, startHarness, tempDbFile, type Harness } from '../challenge/harness.js';
import { createWebAuthnFactor, readWebAuthnParams } from '../../src/factors/index.js';
import { rootConfigSchema, type RootConfigInput } from '../../src/config/schema.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The AAGUID of Chromium's virtual CTAP2 authenticator. */
const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';

type WebAuthnConfigInput = NonNullable<NonNullable<RootConfigInput['factors']>['webauthn']>;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A host whose public URL is `http://localhost:<port>` (an IP address cannot be an RP ID). */
async function webauthnHost(webauthn: WebAuthnConfigInput = {}, file = tempDbFile()): Promise<Harness & { base: string }> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const h = await startHarness({ file, port, publicUrl: base, config: { factors: { webauthn: { offerAtEnrolment: true, ...webauthn } } } });
  return Object.assign(h, { base });
}

async function authenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, id: authenticatorId };
}

const audit = (h: Harness, event = 'second-factor') =>
  h.store.db.selectFrom('audit_events').select(['result', 'method', 'deny_reason', 'detail']).where('event', '=', event).orderBy('ts').orderBy(sql`rowid`).execute();

const keys = (h: Harness) => h.store.db.selectFrom('factors').selectAll().where('kind', '=', 'webauthn').where('confirmed', '=', 1).orderBy('created_at').execute();

/** Clicks the page's button and returns the `code` the script posted (the request is let through). */
async function useKey(page: Page, name: RegExp): Promise<string> {
  const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/mfa/'));
  await page.getByRole('button', { name }).click();
  // A refusal by the browser shows the page's alert instead of posting: fail with its reason.
  const refused = page
    .locator('#webauthn-failed')
    .waitFor({ state: 'visible' })
    .then(async () => {
      throw new Error(`the browser refused the WebAuthn call: ${await page.locator('#webauthn-failed').getAttribute('data-error')}`);
    });
  const body = (await Promise.race([posted, refused])).postData() ?? '';
  refused.catch(() => undefined);
  await page.waitForLoadState('load');
  return new URLSearchParams(body).get('code') ?? '';
}

let browser: Browser;
let profile: string;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'fg-webauthn-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('WebAuthn in headless Chromium with a virtual authenticator', () => {
  let h: Harness & { base: string };
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    h = await webauthnHost();
    await addUser(h, 'ada');
    context = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    // A step that hangs names itself instead of timing the whole test out.
    page.setDefaultTimeout(10_000);
    ({ cdp, id: authenticatorId } = await authenticator(page));
  });
  afterAll(async () => {
    await context?.close();
    await h?.close();
  });

  it('enrols a named key at sign-in, then signs in with it; the counter and backup flags are stored', async () => {
    await page.goto(`${h.base}/test-app/start?user=ada`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up two-step verification');
    await page.getByLabel('Name of this key').fill('Blue key');
    await useKey(page, /Register my security key or passkey/);
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with webauthn');
    const [row] = await keys(h);
    expect(row).toMatchObject({ label: 'Blue key', is_default: 1 });
    const params = readWebAuthnParams(row!)!;
    expect(params.credentialId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(params).toMatchObject({ backupEligible: false, backedUp: false });

    await page.goto(`${h.base}/test-app/start?user=ada`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Verify it’s you');
    const code = await useKey(page, /^Use your security key or passkey$/);
    expect(JSON.parse(code).credential.id).toBe(params.credentialId);
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with webauthn');
    const [after] = await keys(h);
    expect(after!.last_used_step).toBeGreaterThan(row!.last_used_step ?? 0);
    expect(after!.last_used_at).not.toBeNull();
    expect((await audit(h)).map((a) => a.result)).toEqual(['success', 'success']);
  });

  it('refuses an assertion replayed into another challenge, and shows the page again', async () => {
    await page.goto(`${h.base}/test-app/start?user=ada`);
    const first = await useKey(page, /^Use your security key or passkey$/);
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with webauthn');

    // The next challenge's form is sent with the earlier (valid, signed) assertion in its field.
    await page.goto(`${h.base}/test-app/start?user=ada`);
    await page.getByRole('button', { name: /^Use your security key or passkey$/ }).waitFor();
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.locator('#webauthn-response').evaluate((el, value) => {
        (el as HTMLInputElement).value = value;
        (el as HTMLInputElement).form!.submit();
      }, first),
    ]);
    await page.waitForLoadState('load');
    await expect(page.locator('#code-error').textContent()).resolves.toContain('could not be verified');
    expect(await page.locator('#result').count()).toBe(0);
    const last = (await audit(h)).at(-1)!;
    expect(last).toMatchObject({ result: 'failure', method: 'webauthn', deny_reason: 'MISMATCH' });
    expect(h.logLines.some((l) => l.includes('WebAuthn assertion refused') && l.includes('challenge'))).toBe(true);

    // The same page, answered by the key itself, passes.
    await useKey(page, /^Use your security key or passkey$/);
    await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with webauthn');
  });

  it('refuses an assertion made for another origin or another RP ID', async () => {
    await page.goto(`${h.base}/test-app/start?user=ada`);
    const challengeId = new URL(page.url()).pathname.split('/').pop()!;
    let captured = '';
    await page.route(/\/mfa\//, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      captured = new URLSearchParams(route.request().postData() ?? '').get('code') ?? '';
      await route.abort();
    });
    await page.getByRole('button', { name: /^Use your security key or passkey$/ }).click();
    await expect.poll(() => captured).not.toBe('');
    await page.unroute(/\/mfa\//);
    const [row] = await keys(h);
    const user = (await h.users.findByUsername('ada'))!;
    const verifyWith = (webauthn: WebAuthnConfigInput, otherChallenge?: string) =>
      createWebAuthnFactor({ db: h.store.db, config: rootConfigSchema.parse({ factors: { webauthn } }).factors.webauthn!, publicUrl: h.base, rpName: 'test' }).verify({
        user,
        factorRow: row!,
        code: captured,
        now: h.clock.now(),
        challengeId: otherChallenge ?? challengeId,
      });
    await expect(verifyWith({ origins: ['https://portal.example.org'] })).resolves.toEqual({ ok: false, reason: 'MISMATCH' });
    await expect(verifyWith({ rpId: 'example.org' })).resolves.toEqual({ ok: false, reason: 'MISMATCH' });
    await expect(verifyWith({}, 'another-challenge-id')).resolves.toEqual({ ok: false, reason: 'MISMATCH' });
    // The same answer for its own challenge, under the host's own configuration, is genuine: the
    // refusals above were the checks.
    await expect(verifyWith({})).resolves.toMatchObject({ ok: true });
  });

  it('audits and refuses a cloned key whose counter goes backwards', async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0]!;
    // The clone is used twice; then the original (its counter now behind) signs in.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    const clone = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: original });
    for (let i = 0; i < 2; i++) {
      await page.goto(`${h.base}/test-app/start?user=ada`);
      await useKey(page, /^Use your security key or passkey$/);
      await expect(page.locator('#result').textContent()).resolves.toBe('verified ada with webauthn');
    }
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: clone.authenticatorId });
    const back = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cdp.send('WebAuthn.addCredential', { authenticatorId: back.authenticatorId, credential: original });
    authenticatorId = back.authenticatorId;

    await page.goto(`${h.base}/test-app/start?user=ada`);
    await useKey(page, /^Use your security key or passkey$/);
    expect(await page.locator('#result').count()).toBe(0);
    await expect(page.locator('#code-error').isVisible()).resolves.toBe(true);
    expect((await audit(h)).at(-1)).toMatchObject({ result: 'failure', method: 'webauthn', deny_reason: 'COUNTER_REGRESSION' });
  });

  it('shows the page in French', async () => {
    const fr = await browser.newContext({ locale: 'fr-FR' });
    try {
      const p = await fr.newPage();
      await authenticator(p);
      await p.goto(`${h.base}/test-app/start?user=ada`);
      expect(await p.locator('html').getAttribute('lang')).toBe('fr');
      await expect(p.getByRole('button', { name: 'Utiliser ma clé de sécurité ou ma clé d’accès' }).isVisible()).resolves.toBe(true);
      await expect(p.locator('#code-hint').textContent()).resolves.toContain('suivez les indications du navigateur');
    } finally {
      await fr.close();
    }
  });
});

describe('attestation allowlist', () => {
  it('refuses an authenticator outside allowedAaguids and registers one inside it', async () => {
    for (const [allowed, expected] of [
      ['00000000-0000-0000-0000-00000000abcd', 'refused'],
      [VIRTUAL_AAGUID, 'enrolled'],
    ] as const) {
      const h = await webauthnHost({ attestation: 'direct', allowedAaguids: [allowed] });
      const context = await browser.newContext({ locale: 'en-GB' });
      try {
        await addUser(h, 'grace');
        const page = await context.newPage();
        await authenticator(page);
        await page.goto(`${h.base}/test-app/start?user=grace`);
        await useKey(page, /Register my security key or passkey/);
        if (expected === 'refused') {
          expect(await page.locator('#result').count()).toBe(0);
          expect(await keys(h)).toHaveLength(0);
          expect((await audit(h)).at(-1)).toMatchObject({ result: 'failure', method: 'webauthn', deny_reason: 'AUTHENTICATOR_REFUSED' });
        } else {
          await expect(page.locator('#result').textContent()).resolves.toBe('verified grace with webauthn');
          const [row] = await keys(h);
          expect(readWebAuthnParams(row!)!.aaguid).toBe(VIRTUAL_AAGUID);
        }
      } finally {
        await context.close();
        await h.close();
      }
    }
  });
});
