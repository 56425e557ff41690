import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { bridgeFixture, NOW } from './support/fixture.js';
import { ALG, IDP_ENTITY_ID, REQUEST_ID, signedResponse, validSpec } from './support/upstream-response.js';

const fx = bridgeFixture();
afterAll(() => fx.cleanup());
beforeEach(() => fx.reset());

describe('a valid upstream Response', () => {
  it('passes, and yields the typed subject, session and attributes of the signed assertion', async () => {
    const spec = validSpec(NOW);
    const xml = await signedResponse(spec, fx.upstream);
    const result = await fx.verify(Buffer.from(xml).toString('base64'));
    expect(result).toEqual({
      ok: true,
      issuer: IDP_ENTITY_ID,
      nameId: { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
      sessionIndex: '_session-42',
      authnContextClassRefs: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
      authnInstant: NOW - 1_000,
      attributes: { upn: ['alice@corp.example.com'], mail: ['alice@example.com'], groups: ['staff', 'vpn-users'] },
      assertionId: spec.assertionId,
      notOnOrAfter: NOW + 300_000,
      sessionNotOnOrAfter: null,
      inResponseTo: REQUEST_ID,
      pinnedCertificateIndex: 0,
    });
    expect(fx.requests.consumed).toEqual([REQUEST_ID]);
    // The assertion id is kept until its NotOnOrAfter plus the skew, on the shared cache.
    expect([...fx.replay.entries.values()]).toEqual([NOW + 300_000 + 30_000]);
  });

  it('passes as raw XML as well as base64, signed on both Response and Assertion', async () => {
    const xml = await signedResponse(validSpec(NOW, { signResponse: true }), fx.upstream);
    const result = await fx.verify(xml);
    expect(result.ok).toBe(true);
  });

  it('passes with RSA-SHA512 and a SHA-512 digest', async () => {
    const xml = await signedResponse(validSpec(NOW, { signatureMethod: ALG.rsaSha512, digestMethod: ALG.sha512 }), fx.upstream);
    expect((await fx.verify(xml)).ok).toBe(true);
  });

  it('passes just inside the clock skew at both ends of the window', async () => {
    const early = validSpec(NOW, { issueInstant: NOW - 120_000 });
    fx.clock.set(NOW - 60_000 - 30_000);
    expect((await fx.verify(await signedResponse(early, fx.upstream))).ok).toBe(true);
    fx.reset();
    fx.clock.set(NOW + 300_000 + 30_000 - 1);
    expect((await fx.verify(await signedResponse(validSpec(NOW), fx.upstream))).ok).toBe(true);
  });

  it('reads an attribute named __proto__ as a plain name', async () => {
    const xml = await signedResponse(validSpec(NOW, { attributes: JSON.parse('{"__proto__":["x"],"constructor":["y"]}') as Record<string, string[]> }), fx.upstream);
    const result = await fx.verify(xml);
    if (!result.ok) throw new Error(result.detail);
    expect(Object.getPrototypeOf(result.attributes)).toBeNull();
    expect(result.attributes['__proto__']).toEqual(['x']);
    expect(result.attributes['constructor']).toEqual(['y']);
  });
});

describe('signing key rollover', () => {
  it('accepts a response signed by either of two pinned certificates, and says which', async () => {
    const pinned = { pinnedCertificates: [fx.upstream.certPem, fx.rollover.certPem] };
    const byOld = await fx.verify(await signedResponse(validSpec(NOW), fx.upstream), pinned);
    fx.requests.add(REQUEST_ID);
    const byNew = await fx.verify(await signedResponse(validSpec(NOW), fx.rollover), pinned);
    expect(byOld).toMatchObject({ ok: true, pinnedCertificateIndex: 0 });
    expect(byNew).toMatchObject({ ok: true, pinnedCertificateIndex: 1 });
  });

  it('refuses the new key before it is pinned, and a third key in any case', async () => {
    const byNew = await fx.verify(await signedResponse(validSpec(NOW), fx.rollover));
    expect(byNew).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
    const byStranger = await fx.verify(await signedResponse(validSpec(NOW), fx.stranger), {
      pinnedCertificates: [fx.upstream.certPem, fx.rollover.certPem],
    });
    expect(byStranger).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
  });
});
