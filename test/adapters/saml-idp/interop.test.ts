/**
 * Independent SPs accept what a real sign-in produces: the Response that the browser would
 * post after /login and the TOTP challenge is handed to pysaml2, OneLogin python3-saml and
 * node-saml (each pinning our certificate from configuration, checking audience, recipient,
 * InResponseTo and the validity window), and xmlsec1 verifies both signatures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { DEFAULT_USERS } from '../../support/host-harness.js';
import { pythonSpResults, xmlsecDecrypts, xmlsecVerifies, type SpExpectations } from '../../saml/support/peers.js';
import { authnRequestPath, decodeResponse, nodeSamlSp, postedForm, rpConfig, signIn, spAccepts, spIdentity, startIdp, type IdpHost } from './support.js';

const AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';
const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const DISPLAY = 'http://schemas.microsoft.com/identity/claims/displayname';

let idp: IdpHost;
let xml: string;
let requestId: string;
const plain = spIdentity('interop-plain');

beforeAll(async () => {
  idp = await startIdp({ relyingParties: [rpConfig(plain, { sign: 'both' })] });
  const sp = nodeSamlSp(idp, plain.name, { signed: true });
  const b = new TestBrowser(idp.url);
  const { form } = await signIn(idp, b, await authnRequestPath(sp));
  xml = decodeResponse(form);
  requestId = /InResponseTo="([^"]+)"/.exec(xml)![1]!;
  // node-saml consumes the request id from its cache, so it goes first and once.
  const { profile } = await spAccepts(sp, form);
  expect(profile?.nameID).toBe('alice');
});
afterAll(async () => {
  await idp.close();
});

function expectations(extra: Partial<SpExpectations> = {}): SpExpectations {
  return { certPem: idp.idpCertPem, certPath: idp.idpCertPath, idpEntityId: idp.entityId, audience: plain.entityId, acs: plain.acs, requestId, signed: 'both', ...extra };
}

describe('independent SPs accept the response of a real sign-in', () => {
  it('xmlsec1 verifies the Response signature and the Assertion signature with the pinned certificate', async () => {
    const file = join(idp.dir, 'response.xml');
    writeFileSync(file, xml);
    expect(await xmlsecVerifies(file, idp.idpCertPath, 'response')).toBe(true);
    expect(await xmlsecVerifies(file, idp.idpCertPath, 'assertion')).toBe(true);
    const tampered = join(idp.dir, 'tampered.xml');
    writeFileSync(tampered, xml.replace('>alice<', '>mallory<'));
    expect(await xmlsecVerifies(tampered, idp.idpCertPath, 'assertion')).toBe(false);
  });

  it('pysaml2 accepts it with InResponseTo, audience and recipient checked, and reads the MFA claims', async () => {
    const [result] = await pythonSpResults('pysaml2', [xml], expectations(), idp.dir);
    expect(result).toMatchObject({ ok: true, nameId: 'alice', issuer: idp.entityId });
    expect(result!.attributes![AMR]).toContain(MFA);
    expect(result!.attributes![UPN]).toBeUndefined();
  });

  it('OneLogin python3-saml (strict) accepts it', async () => {
    const [result] = await pythonSpResults('onelogin', [xml], expectations(), idp.dir);
    expect(result).toMatchObject({ ok: true, nameId: 'alice' });
    expect(result!.attributes![AMR]).toContain(MFA);
  });

  it('the peers refuse it for another SP, another request or another ACS', async () => {
    const results = await pythonSpResults('pysaml2', [xml], expectations({ audience: 'https://other.example.test/sp' }), idp.dir);
    expect(results[0]!.ok).toBe(false);
    const wrongRequest = await pythonSpResults('onelogin', [xml], expectations({ requestId: '_someOtherRequest' }), idp.dir);
    expect(wrongRequest[0]!.ok).toBe(false);
    const wrongAcs = await pythonSpResults('onelogin', [xml], expectations({ acs: 'https://evil.example.test/acs' }), idp.dir);
    expect(wrongAcs[0]!.ok).toBe(false);
  });
});

describe('per-RP options seen by independent SPs', () => {
  it('an attribute value containing XML stays one escaped value; emailAddress NameID; assertion-only signing', async () => {
    const sp = spIdentity('interop-attrs');
    const users = [{ ...DEFAULT_USERS[0]!, displayName: '<b>Alice</b> & "Co" </saml:AttributeValue><saml:AttributeValue>x' }];
    const host = await startIdp({ relyingParties: [rpConfig(sp, { sign: 'assertion', nameId: { format: 'emailAddress' } })] }, { users });
    const h = host;
    const certPath = host.idpCertPath;
    try {
      const node = nodeSamlSp(host, sp.name, { signed: true });
      const { form } = await signIn(host, new TestBrowser(h.url), await authnRequestPath(node));
      const out = decodeResponse(form);
      const id = /InResponseTo="([^"]+)"/.exec(out)![1]!;
      const exp: SpExpectations = { certPem: host.idpCertPem, certPath, idpEntityId: host.entityId, audience: sp.entityId, acs: sp.acs, requestId: id, signed: 'assertion' };
      for (const peer of ['pysaml2', 'onelogin'] as const) {
        const [r] = await pythonSpResults(peer, [out], exp, h.dir);
        expect(r, peer).toMatchObject({ ok: true, nameId: 'alice@example.test', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
        expect(r!.attributes![DISPLAY], peer).toEqual([users[0]!.displayName]);
      }
    } finally {
      await h.close();
    }
  });

  it('an encrypted assertion is decrypted by xmlsec1 and pysaml2 and still verifies', async () => {
    const sp = spIdentity('interop-enc');
    const h = await startIdp({ relyingParties: [rpConfig(sp, { sign: 'both', encryptAssertion: true, encryptionCert: sp.keys.certPem })] });
    try {
      const node = nodeSamlSp(h, sp.name, { signed: true });
      const { form } = await signIn(h, new TestBrowser(h.url), await authnRequestPath(node));
      const out = decodeResponse(form);
      expect(out).toContain('<saml:EncryptedAssertion');
      expect(out).not.toContain('>alice<');
      const file = join(h.dir, 'enc.xml');
      writeFileSync(file, out);
      const decrypted = await xmlsecDecrypts(file, sp.keys.keyPath);
      expect(decrypted).toContain('>alice<');
      const id = /InResponseTo="([^"]+)"/.exec(out)![1]!;
      const [r] = await pythonSpResults(
        'pysaml2',
        [out],
        { certPem: h.idpCertPem, certPath: h.idpCertPath, idpEntityId: h.entityId, audience: sp.entityId, acs: sp.acs, requestId: id, signed: 'both', decryption: { keyPem: sp.keys.keyPem, keyPath: sp.keys.keyPath, certPath: sp.keys.certPath } },
        h.dir,
      );
      expect(r).toMatchObject({ ok: true, nameId: 'alice' });
    } finally {
      await h.close();
    }
  });
});

describe('NameIDPolicy as the adapter README documents it, seen by independent SPs', () => {
  const T = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
  const P = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
  const open1 = spIdentity('interop-nameid-a');
  const open2 = spIdentity('interop-nameid-b');
  const pinned = spIdentity('interop-nameid-pinned');
  let h: IdpHost;
  // One browser: after its first sign-in, its session answers (a new Response, no new challenge).
  let b: TestBrowser;

  beforeAll(async () => {
    // The first two pin nothing (the default a stock SP meets); the third pins emailAddress.
    h = await startIdp({ relyingParties: [rpConfig(open1), rpConfig(open2), rpConfig(pinned, { nameId: { format: 'emailAddress' } })] });
    b = new TestBrowser(h.url);
  });
  afterAll(async () => {
    await h.close();
  });

  /** The browser signs in at `rp` with an AuthnRequest asking for `format`; both Python SPs read the result. */
  async function signInAsking(rp: typeof open1, format: string, browser = b): Promise<{ nameId: string; nameIdFormat: string }[]> {
    const sp = nodeSamlSp(h, rp.name);
    sp.saml.options.identifierFormat = format;
    const { form } = await signIn(h, browser, await authnRequestPath(sp));
    const out = decodeResponse(form);
    const id = /InResponseTo="([^"]+)"/.exec(out)![1]!;
    const exp: SpExpectations = { certPem: h.idpCertPem, certPath: h.idpCertPath, idpEntityId: h.entityId, audience: rp.entityId, acs: rp.acs, requestId: id, signed: 'both' };
    const seen: { nameId: string; nameIdFormat: string }[] = [];
    for (const peer of ['pysaml2', 'onelogin'] as const) {
      const [r] = await pythonSpResults(peer, [out], exp, h.dir);
      expect(r, `${peer}: ${r?.error}`).toMatchObject({ ok: true, nameIdFormat: format });
      seen.push({ nameId: r!.nameId!, nameIdFormat: r!.nameIdFormat! });
    }
    expect(seen[0]!.nameId).toBe(seen[1]!.nameId);
    return seen;
  }

  it('a request for transient (what a stock SimpleSAMLphp SP sends) gets a fresh opaque id in every response', async () => {
    const [first] = await signInAsking(open1, T);
    const [second] = await signInAsking(open1, T);
    expect(first!.nameId).not.toBe(second!.nameId);
    expect(first!.nameId).not.toContain('alice');
  });

  it('a request for persistent gets a pairwise id: the same at each sign-in, different for another RP', async () => {
    const [first] = await signInAsking(open1, P);
    // A new browser, so a new session and a new challenge: still the same identifier.
    const [again] = await signInAsking(open1, P, new TestBrowser(h.url));
    const [other] = await signInAsking(open2, P);
    expect(again!.nameId).toBe(first!.nameId);
    expect(other!.nameId).not.toBe(first!.nameId);
    expect(first!.nameId).not.toContain('alice');
  });

  it('an RP that pins a format gets it when asked, and InvalidNameIDPolicy for another, before any login page', async () => {
    const [asked] = await signInAsking(pinned, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(asked!.nameId).toBe('alice@example.test');
    const sp = nodeSamlSp(h, pinned.name);
    sp.saml.options.identifierFormat = T;
    const res = await new TestBrowser(h.url).get(await authnRequestPath(sp));
    expect(res.status).toBe(200);
    const out = decodeResponse(postedForm(await res.text()));
    expect(out).toContain('urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy');
    expect(out).not.toContain('<saml:Assertion');
    const exp: SpExpectations = { certPem: h.idpCertPem, certPath: h.idpCertPath, idpEntityId: h.entityId, audience: pinned.entityId, acs: pinned.acs, signed: 'response' };
    for (const peer of ['pysaml2', 'onelogin'] as const) {
      const [r] = await pythonSpResults(peer, [out], exp, h.dir);
      expect(r!.ok, peer).toBe(false);
      expect(r!.error, peer).toMatch(/InvalidNameI[Dd]Policy/);
    }
    const audit = await h.auditRows();
    expect(audit.some((r) => r.relying_party === pinned.name && r.deny_reason === 'INVALID_NAMEID_POLICY')).toBe(true);
  });

  it('an unsupported requested format still gets InvalidNameIDPolicy from an RP that pins nothing', async () => {
    const sp = nodeSamlSp(h, open1.name);
    sp.saml.options.identifierFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName';
    const res = await new TestBrowser(h.url).get(await authnRequestPath(sp));
    const out = decodeResponse(postedForm(await res.text()));
    expect(out).toContain('urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy');
    await expect(sp.saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(out).toString('base64') })).rejects.toThrow(/InvalidNameIDPolicy|Responder/);
  });
});
