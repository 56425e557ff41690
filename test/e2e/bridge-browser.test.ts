/**
 * The SAML bridge as a user meets it, in headless Chromium (Debian's, through playwright-core):
 * a relying party of our own (node:http + @node-saml/node-saml) has a "Sign in" link → factorgate's
 * /saml/idp/sso (HTTP-Redirect AuthnRequest) → the bridge's signed AuthnRequest → a real pysaml2
 * upstream IdP, whose auto-post form submits itself to /saml/bridge/acs → the TOTP challenge,
 * enrolled from the secret on the page → factorgate's response page, which submits itself to the
 * RP's ACS → the RP checks the signed Response and shows the upstream NameID and the MFA context.
 * No Content Security Policy violation may appear on the way; the challenge page is kept as a
 * screenshot (test-results/bridge-challenge.png).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { chromium, type BrowserContext, type ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlBridgeAdapter } from '../../adapters/saml-bridge/index.js';
import { importUsers } from '../../src/directory/import-users.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { spKeys, startIdp, type IdpHost } from '../adapters/saml-idp/support.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir } from '../support/host-harness.js';
import { startPysaml2Idp, type Pysaml2Idp } from '../support/pysaml2-idp.js';

const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const UPSTREAM_NAME_ID = 'Alice@Example.test';
const ARTIFACTS = resolve('test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function html(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

interface RelyingParty {
  url: string;
  entityId: string;
  acs: string;
  /** Why it refused a Response, if it did (shown on its page too). */
  refusals: string[];
  close(): Promise<void>;
}

/**
 * A tiny SAML service provider: `/` has the "Sign in" link, `/login` redirects with node-saml's
 * HTTP-Redirect AuthnRequest, `/acs` has node-saml validate the posted Response (factorgate's
 * certificate pinned, signed assertion required, InResponseTo checked against what it sent).
 */
async function startRelyingParty(idp: { ssoUrl: string; entityId: string; certPem: string }): Promise<RelyingParty> {
  // Port 0: the OS picks a free loopback port as freePort() does, without the gap before listen.
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${url}/sp`;
  const acs = `${url}/acs`;
  const refusals: string[] = [];
  const saml = new SAML({
    entryPoint: idp.ssoUrl,
    issuer: entityId,
    audience: entityId,
    callbackUrl: acs,
    idpIssuer: idp.entityId,
    idpCert: idp.certPem,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    // factorgate's test clock runs 90 s behind the real one (startIdp's ManualClock).
    acceptedClockSkewMs: 5 * 60_000,
    disableRequestedAuthnContext: true,
    identifierFormat: null,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(body);
    };
    void (async () => {
      const path = new URL(req.url ?? '/', url).pathname;
      if (req.method === 'GET' && path === '/') return send(200, html('Test relying party', '<p><a href="/login">Sign in</a></p>'));
      if (req.method === 'GET' && path === '/login') {
        res.writeHead(302, { Location: await saml.getAuthorizeUrlAsync('rp-state', undefined, {}) }).end();
        return;
      }
      if (req.method === 'POST' && path === '/acs') {
        try {
          const { profile } = await saml.validatePostResponseAsync(await formBody(req));
          if (!profile) throw new Error('no profile in the Response');
          const classRef = /<(?:\w+:)?AuthnContextClassRef>([^<]*)</.exec(profile.getAssertionXml?.() ?? '')?.[1] ?? '(none)';
          return send(200, html('Signed in', `<dl><dt>NameID</dt><dd id="name-id">${esc(profile.nameID)}</dd><dt>AuthnContextClassRef</dt><dd id="authn-context">${esc(classRef)}</dd></dl>`));
        } catch (err) {
          refusals.push((err as Error).message);
          return send(400, html('Response refused', `<p id="refusal">${esc((err as Error).message)}</p>`));
        }
      }
      send(404, html('Not found', ''));
    })().catch((err: unknown) => send(500, html('Error', `<p>${esc((err as Error).message)}</p>`)));
  });
  const close = (): Promise<void> => new Promise((done) => server.close(() => done()));
  return { url, entityId, acs, refusals, close };
}

let dir: string;
let idp: IdpHost;
let upstream: Pysaml2Idp;
let rp: RelyingParty;
let context: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  // factorgate's signing key exists before it starts (the host takes it from <dir>/certs): the
  // upstream, started first so its metadata URL can go into our config, requires it on AuthnRequests.
  const signing = spKeys('factorgate-bridge-browser');
  dir = makeTempDir('fg-bridge-browser-');
  mkdirSync(join(dir, 'certs'), { recursive: true });
  writeFileSync(join(dir, 'certs', 'signing-key.pem'), signing.keyPem);
  writeFileSync(join(dir, 'certs', 'signing-cert.pem'), signing.certPem);
  const upstreamKeys = spKeys('pysaml2-upstream-browser');

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  upstream = await startPysaml2Idp({
    keyPath: upstreamKeys.keyPath,
    certPath: upstreamKeys.certPath,
    user: { nameId: { value: UPSTREAM_NAME_ID, format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, attributes: { givenName: ['Alicia'] } },
    spEntityId: `${publicUrl}/saml/bridge/metadata`,
    spAcs: `${publicUrl}/saml/bridge/acs`,
    spCertPath: signing.certPath,
    entityId: 'https://corp-idp.example.test/idp',
  });
  rp = await startRelyingParty({ ssoUrl: `${publicUrl}/saml/idp/sso`, entityId: `${publicUrl}/saml/idp/metadata`, certPem: signing.certPem });

  idp = await startIdp(
    { relyingParties: [{ name: 'browser-rp', entityId: rp.entityId, acs: [{ url: rp.acs }], primary: 'upstream:corp' }] },
    {
      port,
      dir,
      adapters: [samlBridgeAdapter as never],
      adapterConfig: {
        samlBridge: {
          // clockSkew: the host's ManualClock is 90 s behind the upstream's (real) clock.
          upstreams: [{ name: 'corp', metadataUrl: upstream.signedMetadataUrl, metadataSignerCert: upstream.certPem, clockSkew: '5m', lookup: { from: 'nameId', field: 'email' } }],
        },
      },
    },
  );
  expect(idp.idpCertPem).toBe(signing.certPem);
  // Users come from the directory import: the upstream's NameID is alice's email.
  await importUsers({ directory: idp.host.api.directory, db: idp.host.api.store.db });

  profileDir = mkdtempSync(join(tmpdir(), 'fg-chromium-bridge-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, locale: 'en-GB', viewport: { width: 800, height: 1000 } });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await Promise.all([idp?.close(), upstream?.stop(), rp?.close()]);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SAML bridge in headless Chromium', () => {
  it('RP → factorgate → pysaml2 → TOTP enrolment → RP, with the upstream NameID and the MFA context', async () => {
    const page = await context.newPage();
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${m.location().url || page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));

    await page.goto(`${rp.url}/`);
    // pysaml2's page is `<body onload="document.forms[0].submit()">` with its Continue button
    // inside <noscript>: with scripts on, Chromium submits it itself, we click nothing there.
    const upstreamPage = page.waitForResponse((r) => r.url().startsWith(upstream.ssoUrl));
    const bridgeAcs = page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${idp.url}/saml/bridge/acs`);
    await page.getByRole('link', { name: 'Sign in' }).click();

    const atUpstream = await upstreamPage;
    expect(atUpstream.status()).toBe(200);
    expect(new URL(atUpstream.url()).searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const posted = await bridgeAcs;
    // Posted from the upstream's page (another port: cross-origin, so the Referer is its origin).
    expect(posted.headers()['referer']).toBe(`${new URL(upstream.ssoUrl).origin}/`);
    // http://127.0.0.1:A and :B are same-site (a site is the scheme and the registrable host; the
    // port does not count), so the bridge's SameSite=Lax cookie comes back with this cross-port
    // POST. Over HTTPS in production the cookie is __Host-fg_bridge, SameSite=None, so it also
    // comes back from an upstream IdP on another site.
    expect((await posted.allHeaders())['cookie']).toMatch(/(^|; )fg_bridge=[A-Za-z0-9_-]{43}(;|$)/);

    // The challenge: first sign-in, so TOTP enrolment with the secret shown on the page.
    await page.waitForURL(/\/mfa\/[A-Za-z0-9_-]{43}$/);
    expect(new URL(page.url()).origin).toBe(idp.url);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up two-step verification');
    expect(await page.locator('.qr svg').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'bridge-challenge.png'), fullPage: true });
    const shown = (await page.locator('#totp-secret').textContent()) ?? '';
    const secret = decodeBase32(shown.replace(/\s/g, ''));
    if (!secret.ok) throw new Error(`unreadable secret on the page: ${shown}`);
    // The code for factorgate's clock (90 s behind the real one), as signIn in support.ts does.
    await page.getByLabel('Verification code').fill(generateTotp(secret.bytes, idp.clock.now()));
    await page.getByRole('button', { name: 'Verify and finish' }).click();

    // factorgate's response page submits itself (same-origin script under its CSP) to the RP.
    await page.waitForURL(rp.acs);
    expect(rp.refusals).toEqual([]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Signed in');
    await expect(page.locator('#name-id').textContent()).resolves.toBe(UPSTREAM_NAME_ID);
    await expect(page.locator('#authn-context').textContent()).resolves.toBe(MULTIPLE_AUTHN);

    // None anywhere on the way (so none on factorgate's ACS, challenge and response pages).
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    const rows = await idp.auditRows();
    expect(rows.some((r) => r.event === 'primary' && r.result === 'success' && r.detail?.includes('upstream corp'))).toBe(true);
    expect(rows.some((r) => r.event === 'upstream-response' && r.result === 'denied')).toBe(false);
  });
});
