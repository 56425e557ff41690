/**
 * Interop with a real upstream IdP: our AuthnRequest (node-saml's HTTP-Redirect, signed with
 * RSA-SHA256 as the bridge's SP metadata will announce) goes to pysaml2, which signs a Response
 * with its own code and xmlsec1; the SAMLResponse from its auto-post form passes
 * verifyUpstreamResponse. The RP → factorgate → pysaml2 → challenge → RP run comes with the
 * adapter wiring.
 */
import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/kit/clock.js';
import { verifyUpstreamResponse, type UpstreamExpectations } from '../../../src/saml/verify-response.js';
import { startPysaml2Idp, type Pysaml2Idp, type Pysaml2User } from '../../support/pysaml2-idp.js';
import { makeTestKeys, type TestKeys } from '../support/test-keys.js';
import { MemoryReplayCache, OutstandingRequests } from './support/fixture.js';
import { ACS_URL, SP_ENTITY_ID } from './support/upstream-response.js';

const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

const user: Pysaml2User = {
  nameId: { value: 'alice@corp.example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
  attributes: {
    uid: ['alice'],
    mail: ['alice@example.com'],
    upn: ['alice@corp.example.com'],
    givenName: ['Alice'],
    sn: ['Martin'],
  },
};

let idpKeys: TestKeys;
let spKeys: TestKeys;
let strangerSp: TestKeys;
let passwordIdp: Pysaml2Idp;
let mfaIdp: Pysaml2Idp;
let requestCounter = 0;

beforeAll(async () => {
  idpKeys = makeTestKeys('pysaml2-upstream');
  spKeys = makeTestKeys('factorgate-bridge-sp');
  strangerSp = makeTestKeys('factorgate-bridge-sp');
  const common = { keyPath: idpKeys.keyPath, certPath: idpKeys.certPath, user, spEntityId: SP_ENTITY_ID, spAcs: ACS_URL, spCertPath: spKeys.certPath };
  const started = await Promise.allSettled([startPysaml2Idp(common), startPysaml2Idp({ ...common, authnContext: MULTIPLE_AUTHN })]);
  // One IdP failing to start must not leave the other running.
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  [passwordIdp, mfaIdp] = started.map((s) => (s as PromiseFulfilledResult<Pysaml2Idp>).value) as [Pysaml2Idp, Pysaml2Idp];
});

afterAll(async () => {
  await Promise.all([passwordIdp?.stop(), mfaIdp?.stop()]);
  for (const k of [idpKeys, spKeys, strangerSp]) k?.cleanup();
});

/** Our side of the login: an AuthnRequest with a known id, signed for the Redirect binding. */
async function authnRequestUrl(idp: Pysaml2Idp, signingKey: TestKeys = spKeys): Promise<{ url: string; requestId: string }> {
  const requestId = `_bridge-request-${++requestCounter}`;
  const sp = new SAML({
    entryPoint: idp.ssoUrl,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    idpCert: idp.certPem,
    privateKey: signingKey.keyPem,
    signatureAlgorithm: 'sha256',
    generateUniqueId: () => requestId,
    disableRequestedAuthnContext: true,
    identifierFormat: null,
  });
  const url = await sp.getAuthorizeUrlAsync('rp-state-1', undefined, {});
  return { url, requestId };
}

function expectationsFor(idp: Pysaml2Idp, requests: OutstandingRequests): UpstreamExpectations {
  return {
    pinnedCertificates: [idp.certPem],
    issuer: idp.entityId,
    audience: SP_ENTITY_ID,
    acsUrl: ACS_URL,
    consumeRequestId: requests.consume,
    clockSkewMs: 60_000,
  };
}

describe('pysaml2 as the upstream IdP', () => {
  it('answers our signed AuthnRequest with a Response that passes, carrying its subject and attributes', async () => {
    const { url, requestId } = await authnRequestUrl(passwordIdp);
    expect(new URL(url).searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const posted = await passwordIdp.authorize(url);
    expect(posted.action).toBe(ACS_URL);
    expect(posted.relayState).toBe('rp-state-1');

    const requests = new OutstandingRequests();
    requests.add(requestId);
    const result = await verifyUpstreamResponse(posted.samlResponse, expectationsFor(passwordIdp, requests), {
      clock: systemClock,
      replay: new MemoryReplayCache(systemClock),
    });
    if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
    expect(result.issuer).toBe(passwordIdp.entityId);
    expect(result.nameId).toEqual(user.nameId);
    expect(result.inResponseTo).toBe(requestId);
    expect(result.authnContextClassRefs).toEqual([PASSWORD]);
    expect(result.sessionIndex).toEqual(expect.any(String));
    for (const [name, values] of Object.entries(user.attributes)) expect(result.attributes[name]).toEqual(values);
    expect(requests.ids.size).toBe(0);
  });

  it('carries the upstream AuthnContext, so trustUpstreamMfa can judge it', async () => {
    const { url, requestId } = await authnRequestUrl(mfaIdp);
    const posted = await mfaIdp.authorize(url);
    const requests = new OutstandingRequests();
    requests.add(requestId);
    const result = await verifyUpstreamResponse(posted.samlResponse, expectationsFor(mfaIdp, requests), {
      clock: systemClock,
      replay: new MemoryReplayCache(systemClock),
    });
    expect(result).toMatchObject({ ok: true, authnContextClassRefs: [MULTIPLE_AUTHN] });
  });

  it('refuses the same pysaml2 Response a second time (replay), and one from the other IdP (pinned key, issuer)', async () => {
    const { url, requestId } = await authnRequestUrl(passwordIdp);
    const posted = await passwordIdp.authorize(url);
    const requests = new OutstandingRequests();
    requests.add(requestId);
    const deps = { clock: systemClock, replay: new MemoryReplayCache(systemClock) };
    expect((await verifyUpstreamResponse(posted.samlResponse, expectationsFor(passwordIdp, requests), deps)).ok).toBe(true);
    requests.add(requestId);
    expect(await verifyUpstreamResponse(posted.samlResponse, expectationsFor(passwordIdp, requests), deps)).toMatchObject({ ok: false, reason: 'REPLAY' });

    const other = await mfaIdp.authorize((await authnRequestUrl(mfaIdp)).url);
    expect(await verifyUpstreamResponse(other.samlResponse, expectationsFor(passwordIdp, requests), deps)).toMatchObject({ ok: false, reason: 'ISSUER' });
  });

  it('publishes its metadata (entity id, signing certificate, Redirect SSO endpoint) for the bridge to import', async () => {
    const metadata = await (await fetch(passwordIdp.metadataUrl)).text();
    expect(metadata).toContain(`entityID="${passwordIdp.entityId}"`);
    expect(metadata).toContain(idpKeys.certPem.split('\n')[1]);
    expect(metadata).toContain(`Location="${passwordIdp.ssoUrl}"`);
  });

  it('is refused by pysaml2 when our AuthnRequest is signed by another key than the SP metadata names', async () => {
    const { url } = await authnRequestUrl(passwordIdp, strangerSp);
    await expect(passwordIdp.authorize(url)).rejects.toThrow(/400: SignatureInvalid/);
  });
});
