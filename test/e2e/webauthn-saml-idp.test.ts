/**
 * WebAuthn is a factor, so every adapter gets it through the one challenge engine: here the SAML
 * IdP, end to end in headless Chromium with the DevTools virtual authenticator. A node-saml
 * relying party sends an AuthnRequest; the browser signs in at /login, registers a security key
 * inline (the user had no method), and the auto-posted SAMLResponse — caught where it leaves for
 * the relying party's ACS — is accepted by node-saml. A second sign-in from a fresh browser
 * session uses the key, and the key alone: a wrong password never reaches the key prompt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../support/free-port.js';
import { authnRequestPath, nodeSamlSp, rpConfig, spAccepts, spIdentity, startIdp, type IdpHost } from '../adapters/saml-idp/support.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let idp: IdpHost;
let base: string;
const sp = spIdentity('webauthn-rp');

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  const port = await freePort();
  // An IP address cannot be an RP ID: the public origin is localhost.
  base = `http://localhost:${port}`;
  idp = await startIdp(
    { relyingParties: [rpConfig(sp)] },
    { port, config: { server: { port, host: '127.0.0.1', publicUrl: base, shutdownTimeoutSeconds: 2 }, factors: { webauthn: { offerAtEnrolment: true } } } },
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await idp?.close();
});

/** node-saml as the relying party, pointed at the IdP's public origin (localhost, not the bound address). */
function relyingParty() {
  return nodeSamlSp({ ...idp, base: `${base}/saml/idp`, entityId: `${base}/saml/idp/metadata` }, sp.name);
}

/** A credential as the DevTools WebAuthn domain reads it out of (and into) a virtual authenticator. */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string | undefined;
  privateKey: string;
  userHandle?: string | undefined;
  signCount: number;
}

async function withAuthenticator(context: BrowserContext, page: Page, credential?: VirtualCredential): Promise<() => Promise<VirtualCredential[]>> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  if (credential) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  return async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
}

/** Starts at the relying party's AuthnRequest; returns the SAMLResponse the page posts to the ACS. */
async function startSignIn(page: Page): Promise<{ posted: Promise<string>; rp: ReturnType<typeof relyingParty> }> {
  const rp = relyingParty();
  const posted = new Promise<string>((resolve) => {
    void page.route(`${sp.acs}**`, async (route) => {
      resolve(new URLSearchParams(route.request().postData() ?? '').get('SAMLResponse') ?? '');
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'relying party reached' });
    });
  });
  await page.goto(`${base}${await authnRequestPath(rp)}`);
  return { posted, rp };
}

async function login(page: Page, password: string): Promise<void> {
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

describe('WebAuthn through the SAML IdP adapter', () => {
  it('registers a key inline, then signs in with it; node-saml accepts both responses', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const credentials = await withAuthenticator(context, page);
    const first = await startSignIn(page);
    await login(page, 'alice-password-1');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up two-step verification');
    await page.getByLabel('Name of this key').fill('Work key');
    await page.getByRole('button', { name: /Register my security key or passkey/ }).click();
    const response1 = await first.posted;
    const { profile } = await spAccepts(first.rp, { action: sp.acs, fields: { SAMLResponse: response1 } });
    expect(profile?.nameID).toBeTruthy();
    const [registered] = await credentials();
    expect(registered).toBeDefined();
    await context.close();

    // A fresh browser session holding the same key: password, then the key, then the relying party.
    const again = await browser.newContext({ locale: 'en-GB' });
    const page2 = await again.newPage();
    page2.setDefaultTimeout(15_000);
    await withAuthenticator(again, page2, registered);
    const second = await startSignIn(page2);
    await login(page2, 'alice-password-1');
    await expect(page2.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Verify it’s you');
    await page2.getByRole('button', { name: /^Use your security key or passkey$/ }).click();
    const response2 = await second.posted;
    const verdict = await spAccepts(second.rp, { action: sp.acs, fields: { SAMLResponse: response2 } });
    expect(verdict.profile?.nameID).toBe(profile?.nameID);
    const rows = await idp.auditRows();
    expect(rows.filter((r) => r.event === 'second-factor' && r.result === 'success')).toHaveLength(2);
    await again.close();
  });

  it('a wrong password never reaches the key prompt', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await withAuthenticator(context, page);
    void startSignIn(page);
    await login(page, 'not-her-password');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.locator('#webauthn-start').count()).resolves.toBe(0);
    await context.close();
  });
});
