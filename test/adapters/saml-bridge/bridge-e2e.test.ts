/**
 * End to end with a real upstream: a relying party (node-saml SP) → factorgate's IdP → the
 * bridge's signed AuthnRequest → pysaml2 IdP (its own code and xmlsec1) → /saml/bridge/acs →
 * TOTP challenge → factorgate's signed Response, which the RP accepts, carrying the upstream
 * subject and the attributes the bridge passed on, plus the MFA claims.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlBridgeAdapter } from '../../../adapters/saml-bridge/index.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { generateSelfSigned } from '../../../src/host/bootstrap/signing-keys.js';
import { freePort } from '../../support/free-port.js';
import { makeTempDir } from '../../support/host-harness.js';
import { TestBrowser } from '../../support/http-client.js';
import { startPysaml2Idp, type Pysaml2Idp, type Pysaml2User } from '../../support/pysaml2-idp.js';
import { authnRequestPath, nodeSamlSp, postedForm, rpConfig, signIn, spAccepts, startIdp, type IdpHost, type TestSp } from '../saml-idp/support.js';

const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';
const GIVEN_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname';

const alice: Pysaml2User = {
  nameId: { value: 'Alice@Example.test', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
  attributes: { givenName: ['Alicia'], department: ['R&D <lab>'], secretClearance: ['top'] },
};

let dir: string;
let idp: IdpHost;
let upstream: Pysaml2Idp;
let mfaUpstream: Pysaml2Idp;
let rp: TestSp;
let trustingRp: TestSp;

beforeAll(async () => {
  dir = makeTempDir('fg-bridge-e2e-');
  // Our signing key exists before we start, so the upstream can require signed AuthnRequests.
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const ours = generateSelfSigned('factorgate bridge e2e', certs);
  writeFileSync(join(certs, 'signing-cert.pem'), ours.certPem);
  writeFileSync(join(certs, 'signing-key.pem'), ours.keyPem);
  const upstreamKeys = generateSelfSigned('pysaml2 upstream', join(dir, 'upstream'));
  const keyPath = join(dir, 'upstream', 'key.pem');
  const certPath = join(dir, 'upstream', 'cert.pem');
  writeFileSync(keyPath, upstreamKeys.keyPem);
  writeFileSync(certPath, upstreamKeys.certPem);

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const common = { keyPath, certPath, user: alice, spEntityId: `${publicUrl}/saml/bridge/metadata`, spAcs: `${publicUrl}/saml/bridge/acs`, spCertPath: join(certs, 'signing-cert.pem') };
  upstream = await startPysaml2Idp({ ...common, entityId: 'https://corp-idp.example.test/idp' });
  mfaUpstream = await startPysaml2Idp({ ...common, entityId: 'https://mfa-idp.example.test/idp', authnContext: MULTIPLE_AUTHN });

  const rpIdentity = nodeSamlSp({ base: `${publicUrl}/saml/idp`, entityId: `${publicUrl}/saml/idp/metadata`, idpCertPem: ours.certPem } as IdpHost, 'bridged-rp');
  const trustingIdentity = nodeSamlSp({ base: `${publicUrl}/saml/idp`, entityId: `${publicUrl}/saml/idp/metadata`, idpCertPem: ours.certPem } as IdpHost, 'trusting-rp');
  idp = await startIdp(
    { relyingParties: [rpConfig(rpIdentity, { primary: 'upstream:corp' }), rpConfig(trustingIdentity, { primary: 'upstream:mfa' })] },
    {
      port,
      dir,
      adapters: [samlBridgeAdapter as never],
      adapterConfig: {
        samlBridge: {
          upstreams: [
            {
              name: 'corp',
              // pysaml2 signs its metadata with its own key; plain http is accepted only with the signer pinned.
              metadataUrl: upstream.signedMetadataUrl,
              metadataSignerCert: upstream.certPem,
              // The test host's clock starts 90 s behind (it advances by TOTP steps).
              clockSkew: '5m',
              lookup: { from: 'nameId', field: 'email' },
              attributes: [{ name: 'givenName', as: GIVEN_NAME }, { name: 'department' }],
            },
            { name: 'mfa', metadataUrl: mfaUpstream.signedMetadataUrl, metadataSignerCert: mfaUpstream.certPem, clockSkew: '5m', lookup: { field: 'email' }, trustUpstreamMfa: true },
          ],
        },
      },
    },
  );
  // Users come from the directory import (as from AD): the upstream's email finds alice.
  await importUsers({ directory: idp.host.api.directory, db: idp.host.api.store.db });
  rp = nodeSamlSp(idp, 'bridged-rp');
  trustingRp = nodeSamlSp(idp, 'trusting-rp');
}, 60_000);

afterAll(async () => {
  await Promise.all([idp?.close(), upstream?.stop(), mfaUpstream?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** RP → our IdP → the upstream; answers the browser (with the bridge's cookie) and what the upstream posts. */
async function throughUpstream(sp: TestSp, peer: Pysaml2Idp) {
  const b = new TestBrowser(idp.url);
  const start = await b.get(await authnRequestPath(sp));
  expect(start.status).toBe(303);
  const to = new URL(start.headers.get('location')!);
  expect(to.origin + to.pathname).toBe(peer.ssoUrl);
  expect(to.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  const posted = await peer.authorize(to.toString());
  expect(posted.action).toBe(`${idp.url}/saml/bridge/acs`);
  return { b, posted };
}

function xmlsecVerifiesMetadata(xml: string): boolean {
  const file = join(dir, `metadata-${Math.random().toString(16).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', join(dir, 'certs', 'signing-cert.pem'), '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor', file], { encoding: 'utf8' });
  return r.status === 0;
}

async function challengeCount(): Promise<number> {
  const r = await idp.host.api.store.db.selectFrom('challenges').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('SAML bridge end to end with a pysaml2 upstream', () => {
  it('publishes signed SP metadata with our ACS and signing certificate', async () => {
    const res = await fetch(`${idp.url}/saml/bridge/metadata`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${idp.url}/saml/bridge/metadata"`);
    expect(xml).toContain('AuthnRequestsSigned="true"');
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).toContain(`Location="${idp.url}/saml/bridge/acs"`);
    expect(xml).toContain('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    // xmlsec1 checks the metadata signature with our certificate, and refuses it once edited.
    expect(xmlsecVerifiesMetadata(xml)).toBe(true);
    expect(xmlsecVerifiesMetadata(xml.replace('/saml/bridge/acs"', '/evil/acs"'))).toBe(false);
  });

  it('RP → factorgate → pysaml2 → TOTP challenge → RP, with the upstream subject and passed attributes', async () => {
    const { b, posted } = await throughUpstream(rp, upstream);
    const acs = await b.post('/saml/bridge/acs', { SAMLResponse: posted.samlResponse, RelayState: posted.relayState ?? '' });
    expect(acs.status).toBe(303);
    const challenge = acs.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\//);
    const { form, visited } = await signIn(idp, b, challenge);
    expect(visited.some((v) => v.startsWith('/login'))).toBe(false);
    const { profile } = await spAccepts(rp, form);
    expect(profile?.nameID).toBe('Alice@Example.test');
    expect(profile?.[GIVEN_NAME]).toBe('Alicia');
    expect(profile?.department).toBe('R&D <lab>');
    // Not listed in the upstream's attributes: dropped.
    expect(profile?.secretClearance).toBeUndefined();
    expect(profile?.[AMR]).toEqual(expect.arrayContaining([MULTIPLE_AUTHN]));
    expect(profile?.getAssertionXml?.()).toContain(`<saml:AuthnContextClassRef>${MULTIPLE_AUTHN}</saml:AuthnContextClassRef>`);
    const rows = await idp.auditRows();
    expect(rows.some((r) => r.event === 'primary' && r.result === 'success' && r.detail?.includes('upstream corp'))).toBe(true);

    // The session answers this RP again without the upstream or a challenge…
    const again = await b.get(await authnRequestPath(rp));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('SAMLResponse');
  });

  it('a password session does not answer a relying party bound to an upstream', async () => {
    const b = new TestBrowser(idp.url);
    const login = await b.form('/login');
    await b.post('/login', { _csrf: login.csrf, username: 'alice', password: 'alice-password-1' });
    const start = await b.get(await authnRequestPath(rp));
    expect(start.status).toBe(303);
    expect(new URL(start.headers.get('location')!, idp.url).origin).not.toBe(idp.url);
  });

  it('ForceAuthn from the relying party is passed on to the upstream, in a signed request with our ACS', async () => {
    const forcing = nodeSamlSp(idp, 'bridged-rp', { forceAuthn: true });
    const b = new TestBrowser(idp.url);
    const start = await b.get(await authnRequestPath(forcing));
    const to = new URL(start.headers.get('location')!);
    const request = inflateRawSync(Buffer.from(to.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    expect(request).toContain('ForceAuthn="true"');
    expect(request).toContain(`AssertionConsumerServiceURL="${idp.url}/saml/bridge/acs"`);
    expect(request).toContain(`>${idp.url}/saml/bridge/metadata</saml:Issuer>`);
    expect(request).toMatch(new RegExp(`ID="${to.searchParams.get('RelayState')}"`));
  });

  it('trustUpstreamMfa: an upstream multi-factor context skips our challenge', async () => {
    const before = await challengeCount();
    const { b, posted } = await throughUpstream(trustingRp, mfaUpstream);
    const acs = await b.post('/saml/bridge/acs', { SAMLResponse: posted.samlResponse, RelayState: posted.relayState ?? '' });
    // No challenge page, and no redirect either: the bridge's POST answers with the IdP's response form.
    expect(acs.status).toBe(200);
    const form = postedForm(await acs.text());
    const { profile } = await spAccepts(trustingRp, form);
    expect(profile?.nameID).toBe('Alice@Example.test');
    expect(profile?.[AMR]).toEqual(expect.arrayContaining([MULTIPLE_AUTHN, 'urn:factorgate:method:upstream-mfa']));
    expect(await challengeCount()).toBe(before + 1);
    const rows = await idp.auditRows();
    expect(rows.some((r) => r.event === 'second-factor' && r.detail?.includes('trustUpstreamMfa'))).toBe(true);
  });

  it('the same upstream Response posted twice is refused the second time, with no challenge begun', async () => {
    const { b, posted } = await throughUpstream(rp, upstream);
    const first = await b.post('/saml/bridge/acs', { SAMLResponse: posted.samlResponse, RelayState: posted.relayState ?? '' });
    expect(first.status).toBe(303);
    const before = await challengeCount();
    const second = await b.post('/saml/bridge/acs', { SAMLResponse: posted.samlResponse, RelayState: posted.relayState ?? '' });
    expect(second.status).toBe(403);
    const html = await second.text();
    expect(html).toContain('The sign-in response was refused.');
    expect(html).not.toMatch(/UNKNOWN_REQUEST|InResponseTo|stack/i);
    expect(await challengeCount()).toBe(before);
    const rows = await idp.auditRows();
    expect(rows.at(-1)).toMatchObject({ event: 'upstream-response', result: 'denied', deny_reason: 'UNKNOWN_REQUEST' });
  });

  it('a Response carried into another browser is refused (login CSRF)', async () => {
    const { posted } = await throughUpstream(rp, upstream);
    const other = new TestBrowser(idp.url);
    const before = await challengeCount();
    const res = await other.post('/saml/bridge/acs', { SAMLResponse: posted.samlResponse, RelayState: posted.relayState ?? '' });
    expect(res.status).toBe(403);
    expect(await challengeCount()).toBe(before);
    expect((await idp.auditRows()).at(-1)).toMatchObject({ deny_reason: 'OTHER_BROWSER' });
  });
});
