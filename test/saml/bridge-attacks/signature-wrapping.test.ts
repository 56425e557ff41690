/**
 * XML Signature Wrapping, XSW1–XSW8 as SAML Raider lays them out, over a Response signed on
 * both levels and over one signed on the Assertion only. Each is refused before any
 * challenge could begin: the bridge never reads mallory@example.com.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bridgeFixture, NOW } from './support/fixture.js';
import { signedResponse, validSpec, xmlsecAcceptsAssertion } from './support/upstream-response.js';
import { applyXsw, type XswLayout } from './support/xsw.js';

const fx = bridgeFixture();
let bothSigned: string;
let assertionSigned: string;
beforeAll(async () => {
  bothSigned = await signedResponse(validSpec(NOW, { signResponse: true }), fx.upstream);
  assertionSigned = await signedResponse(validSpec(NOW), fx.upstream);
});
afterAll(() => fx.cleanup());
beforeEach(() => fx.reset());

/*
 * Why each is refused, first barrier reached (check-shape): the copy of a Response nested in
 * another (XSW1, XSW2), an Assertion anywhere but as a child of the Response (XSW4, XSW6,
 * XSW7, XSW8), or a second Assertion beside the first (XSW3, XSW5).
 */
const EXPECTED: Record<XswLayout, { reason: string; detail: RegExp }> = {
  XSW1: { reason: 'WRAPPING', detail: /second Response/ },
  XSW2: { reason: 'WRAPPING', detail: /second Response/ },
  XSW3: { reason: 'MULTIPLE_ASSERTIONS', detail: /2 Assertions/ },
  XSW4: { reason: 'WRAPPING', detail: /Assertion at \/Response\/Assertion\/Assertion/ },
  XSW5: { reason: 'MULTIPLE_ASSERTIONS', detail: /2 Assertions/ },
  XSW6: { reason: 'WRAPPING', detail: /Assertion at \/Response\/Assertion\/Signature\/Assertion/ },
  XSW7: { reason: 'WRAPPING', detail: /Assertion at \/Response\/Extensions\/Assertion/ },
  XSW8: { reason: 'WRAPPING', detail: /Assertion at \/Response\/Assertion\/Signature\/Object\/Assertion/ },
};
const LAYOUTS = Object.keys(EXPECTED) as XswLayout[];

describe('signature wrapping on a Response signed on both levels', () => {
  it.each(LAYOUTS)('refuses %s', async (layout) => {
    const attack = applyXsw(layout, bothSigned);
    expect(attack).toContain('mallory@example.com');
    const result = await fx.verify(attack);
    expect(result).toMatchObject({ ok: false, ...EXPECTED[layout] });
    expect(fx.requests.consumed).toEqual([]);
    expect(fx.replay.entries.size).toBe(0);
  });
});

describe('signature wrapping on a Response whose Assertion alone is signed', () => {
  // XSW1/XSW2 target a Response signature; here they wrap the Assertion's instead.
  it.each(LAYOUTS)('refuses %s', async (layout) => {
    const result = await fx.verify(applyXsw(layout, assertionSigned));
    expect(result).toMatchObject({ ok: false, ...EXPECTED[layout] });
  });

  it.each(['XSW3', 'XSW5'] as const)('refuses %s although xmlsec1, resolving the Reference by id, verifies it', async (layout) => {
    // The point of wrapping: a verifier that checks "some signature over some element with
    // that id" is satisfied, and a reader that takes the first Assertion gets mallory.
    const attack = applyXsw(layout, assertionSigned);
    expect(await xmlsecAcceptsAssertion(attack, fx.upstream.certPath)).toBe(true);
    expect(await fx.verify(attack)).toMatchObject({ ok: false, reason: 'MULTIPLE_ASSERTIONS' });
  });
});
