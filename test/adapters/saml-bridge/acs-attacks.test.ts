/**
 * The bridge's ACS under attack, on a running host: every attack of the function-level suite
 * (test/saml/bridge-attacks) built again for a real sign-in (its request id, RelayState and
 * browser cookie) and posted to /saml/bridge/acs, plus the refusals only the adapter makes.
 * Each one: rejected, no challenge begun, an audit record with the reason, a neutral page.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../support/host-harness.js';
import { TestBrowser } from '../../support/http-client.js';
import { makeTestKeys, type TestKeys } from '../../saml/support/test-keys.js';
import {
  withDuplicateAssertionId,
  withEntityExpansion,
  withExternalEntity,
  withKeyInfoCertificate,
  withMarkupInside,
  withoutAssertionSignature,
  withXsltTransform,
} from '../../saml/bridge-attacks/support/mutations.js';
import { ALG, responseTemplate, signWithXmlsec, signedResponse, validSpec, type ResponseSpec } from '../../saml/bridge-attacks/support/upstream-response.js';
import { applyXsw, type XswLayout } from '../../saml/bridge-attacks/support/xsw.js';
import { auditSince, expectRefused, outstanding, postResponse, startBridgeHost, startSignIn, storeState, type BridgeHost, type Refusal, type SignIn } from './support.js';

const ALICE = 'alice@example.test';
const MINUTE = 60_000;

let upstream: TestKeys;
let stranger: TestKeys;
let h: BridgeHost;

beforeAll(async () => {
  upstream = makeTestKeys('upstream');
  stranger = makeTestKeys('upstream');
  h = await startBridgeHost(upstream.certPem);
}, 60_000);

afterAll(async () => {
  await h?.idp.close();
  upstream?.cleanup();
  stranger?.cleanup();
});

/** The spec of a Response answering `s` for alice, issued at `issuedAt` (default: the host's now; valid −1 min to +5 min around it). */
function specFor(s: SignIn, overrides: Partial<ResponseSpec> = {}, issuedAt = h.idp.clock.now()): ResponseSpec {
  return validSpec(issuedAt, { nameId: ALICE, ...overrides }, s.target);
}

/** That Response, signed by the upstream (or `opts.keys`). */
function responseFor(s: SignIn, overrides: Partial<ResponseSpec> = {}, opts: { keys?: TestKeys; issuedAt?: number } = {}): Promise<string> {
  return signedResponse(specFor(s, overrides, opts.issuedAt), opts.keys ?? upstream);
}

/** Posts `xml` as the upstream's form would, from the browser that started `s`. */
function post(s: SignIn, xml: string): Promise<Response> {
  return postResponse(h, s.browser, xml, s.relayState);
}

/** A sign-in whose Response, built by `attack`, is refused with `reason` (by default before any state changed). */
async function refusedAttack(attack: (s: SignIn) => Promise<string> | string, reason: string, more: Omit<Refusal, 'reason' | 'requestId'> = {}) {
  const s = await startSignIn(h);
  const xml = await attack(s);
  return expectRefused(h, () => post(s, xml), { reason, requestId: s.requestId, ...more });
}

/*
 * InResponseTo is compared with the request the RelayState found before the replay check
 * (expectedRequestId), so a Response posted against the wrong request neither uses up that
 * request nor burns its assertion id: the genuine post can still follow.
 */
const BEFORE_REPLAY_CHECK = { assertionRemembered: false } as const;

/** A full valid answer: 303 to the challenge. */
async function acceptedSignIn(): Promise<{ s: SignIn; spec: ResponseSpec }> {
  const s = await startSignIn(h);
  const spec = specFor(s);
  const xml = await signedResponse(spec, upstream);
  const res = await post(s, xml);
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get('location')).toMatch(/^\/mfa\//);
  return { s, spec };
}

describe('positive control', () => {
  it('accepts the untouched valid Response: 303 to the challenge, the request consumed, a primary success audited', async () => {
    const s = await startSignIn(h);
    const xml = await responseFor(s);
    const before = await storeState(h);
    const res = await post(s, xml);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/mfa\//);
    const after = await storeState(h);
    expect(after.challenges).toBe(before.challenges + 1);
    expect(after.usedIds).toBe(before.usedIds + 1);
    expect(await outstanding(h, s.requestId)).toBe(false);
    const added = await auditSince(h, before);
    expect(added).toEqual([expect.objectContaining({ event: 'primary', result: 'success', username: 'alice', adapter: 'saml-bridge' })]);
  });
});

describe('signature wrapping (SAML Raider XSW1–XSW8)', () => {
  // The first barrier each layout meets (check-shape), as in test/saml/bridge-attacks/signature-wrapping.test.ts.
  const REASONS: Record<XswLayout, string> = {
    XSW1: 'WRAPPING',
    XSW2: 'WRAPPING',
    XSW3: 'MULTIPLE_ASSERTIONS',
    XSW4: 'WRAPPING',
    XSW5: 'MULTIPLE_ASSERTIONS',
    XSW6: 'WRAPPING',
    XSW7: 'WRAPPING',
    XSW8: 'WRAPPING',
  };
  const layouts = Object.keys(REASONS) as XswLayout[];

  it.each(layouts)('refuses %s over a Response signed on both levels', async (layout) => {
    await refusedAttack(async (s) => applyXsw(layout, await responseFor(s, { signResponse: true })), REASONS[layout]);
  });

  it.each(layouts)('refuses %s over a Response whose Assertion alone is signed', async (layout) => {
    await refusedAttack(async (s) => applyXsw(layout, await responseFor(s)), REASONS[layout]);
  });
});

describe('signatures', () => {
  it('refuses a Response whose Assertion signature was removed', async () => {
    await refusedAttack(async (s) => withoutAssertionSignature(await responseFor(s)), 'SIGNATURE_MISSING');
  });

  it('refuses an unsigned Assertion inside a signed Response', async () => {
    await refusedAttack((s) => responseFor(s, { signAssertion: false, signResponse: true }), 'SIGNATURE_MISSING');
  });

  it('refuses a certificate faked through KeyInfo: signed by a stranger, the stranger certificate in KeyInfo', async () => {
    await refusedAttack(async (s) => {
      const forged = await responseFor(s, {}, { keys: stranger });
      expect(forged).toContain(stranger.certPem.split('\n')[1]);
      return forged;
    }, 'SIGNATURE_INVALID');
  });

  it('refuses a stranger signature whose KeyInfo claims the pinned certificate', async () => {
    await refusedAttack(async (s) => withKeyInfoCertificate(await responseFor(s, {}, { keys: stranger }), upstream.certPem), 'SIGNATURE_INVALID');
  });

  it('refuses rsa-sha1 made with the pinned key', async () => {
    await refusedAttack((s) => responseFor(s, { signatureMethod: ALG.rsaSha1, digestMethod: ALG.sha1 }), 'SHA1');
  });

  it('refuses an XSLT transform in the Reference', async () => {
    await refusedAttack(async (s) => withXsltTransform(await responseFor(s)), 'TRANSFORM');
  });

  it('refuses duplicate ids: an unsigned evil copy carrying the signed Assertion id', async () => {
    await refusedAttack(async (s) => withDuplicateAssertionId(await responseFor(s)), 'WRAPPING');
  });
});

describe('NameID comments and processing instructions', () => {
  // The attacker owns alice@example.test.evil.example upstream; the upstream signs that name.
  const owned = `${ALICE}.evil.example`;

  it('refuses a comment inside NameID (alice@example.test<!---->.evil.example)', async () => {
    await refusedAttack(async (s) => withMarkupInside(await responseFor(s, { nameId: owned }), owned, ALICE.length, '<!---->'), 'COMMENT');
  });

  it('refuses a processing instruction inside NameID', async () => {
    await refusedAttack(async (s) => withMarkupInside(await responseFor(s, { nameId: owned }), owned, ALICE.length, '<?x ?>'), 'COMMENT');
  });
});

describe('document type declarations', () => {
  it('refuses an external entity (XXE)', async () => {
    await refusedAttack(async (s) => withExternalEntity(await responseFor(s), ALICE), 'DOCTYPE');
  });

  it('refuses entity expansion (billion laughs)', async () => {
    await refusedAttack(async (s) => withEntityExpansion(await responseFor(s), ALICE), 'DOCTYPE');
  });
});

describe('addressing', () => {
  it('refuses an assertion for another audience', async () => {
    await refusedAttack((s) => responseFor(s, { audiences: ['https://other-sp.example.test/saml/metadata'] }), 'AUDIENCE');
  });

  it('refuses a bearer confirmation for another recipient', async () => {
    await refusedAttack((s) => responseFor(s, { recipient: 'https://other-sp.example.test/acs' }), 'RECIPIENT');
  });

  it('refuses a Response for another destination', async () => {
    await refusedAttack((s) => responseFor(s, { destination: 'https://other-sp.example.test/acs' }), 'DESTINATION');
  });

  it('refuses another issuer', async () => {
    const other = 'https://other-idp.example.test/idp';
    await refusedAttack((s) => responseFor(s, { responseIssuer: other, assertionIssuer: other }), 'ISSUER');
  });
});

describe('time (skew 5 min)', () => {
  it('refuses an expired assertion', async () => {
    // Its whole window (NotOnOrAfter 15 min ago) lies before now − skew.
    await refusedAttack((s) => responseFor(s, {}, { issuedAt: h.idp.clock.now() - 20 * MINUTE }), 'EXPIRED');
  });

  it('refuses a not-yet-valid assertion', async () => {
    // Issued now, but NotBefore 10 min ahead: beyond the skew.
    const now = h.idp.clock.now();
    await refusedAttack((s) => responseFor(s, { notBefore: now + 10 * MINUTE, notOnOrAfter: now + 20 * MINUTE, confirmationNotOnOrAfter: now + 20 * MINUTE }), 'NOT_YET_VALID');
  });

  it('refuses an assertion issued beyond the skew in the future', async () => {
    await refusedAttack((s) => responseFor(s, {}, { issuedAt: h.idp.clock.now() + 10 * MINUTE }), 'NOT_YET_VALID');
  });
});

describe('InResponseTo', () => {
  it('refuses a Response without InResponseTo (unsolicited)', async () => {
    await refusedAttack((s) => responseFor(s, { responseInResponseTo: null, confirmationInResponseTo: null }), 'IN_RESPONSE_TO');
  });

  it('refuses an InResponseTo the bridge never sent', async () => {
    await refusedAttack((s) => responseFor(s, { responseInResponseTo: '_never-sent', confirmationInResponseTo: '_never-sent' }), 'IN_RESPONSE_TO', BEFORE_REPLAY_CHECK);
  });

  it('refuses an InResponseTo naming another outstanding request of the same browser, and leaves both outstanding', async () => {
    const other = await startSignIn(h);
    const s = await startSignIn(h, other.browser);
    // The Response answers `other`; the RelayState names `s`.
    const xml = await responseFor(s, { responseInResponseTo: other.requestId, confirmationInResponseTo: other.requestId });
    await expectRefused(h, () => post(s, xml), { reason: 'IN_RESPONSE_TO', requestId: s.requestId, ...BEFORE_REPLAY_CHECK });
    expect(await outstanding(h, other.requestId)).toBe(true);
  });

  it('refuses a reused InResponseTo: a fresh genuine Response to a request already answered', async () => {
    const { s: first } = await acceptedSignIn();
    const s = await startSignIn(h);
    const xml = await responseFor(s, { responseInResponseTo: first.requestId, confirmationInResponseTo: first.requestId });
    await expectRefused(h, () => post(s, xml), { reason: 'IN_RESPONSE_TO', requestId: s.requestId, ...BEFORE_REPLAY_CHECK });
    // With the answered request's own RelayState, the request is gone before any check.
    await expectRefused(h, () => postResponse(h, first.browser, xml, first.relayState), { reason: 'UNKNOWN_REQUEST' });
  });
});

describe('status', () => {
  it('refuses a non-Success status carrying a valid signed assertion', async () => {
    await refusedAttack((s) => responseFor(s, { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }), 'STATUS');
  });
});

describe('replay', () => {
  it('refuses an accepted assertion id again, re-signed by the upstream for a second sign-in', async () => {
    const { spec } = await acceptedSignIn();
    await refusedAttack((s) => responseFor(s, { assertionId: spec.assertionId }), 'REPLAY');
  });
});

describe('size (maxResponseBytes 256 KiB)', () => {
  /** A Response signed by the upstream with an attribute of `bytes` bytes. */
  const bulky = (s: SignIn, bytes: number): Promise<string> =>
    signWithXmlsec(responseTemplate(specFor(s, { attributes: { blob: ['x'.repeat(bytes)] } })), upstream, { assertion: true, response: false });

  it('refuses a post over the form limit with 413', async () => {
    const s = await startSignIn(h);
    const xml = await bulky(s, 320 * 1024);
    await expectRefused(h, () => post(s, xml), { reason: 'TOO_LARGE', status: 413, requestId: s.requestId });
  });

  it('refuses a SAMLResponse field over maxResponseBytes that the form parser let through', async () => {
    const s = await startSignIn(h);
    const xml = await bulky(s, 200 * 1024);
    expect(Buffer.from(xml).toString('base64').length).toBeGreaterThan(256 * 1024);
    await expectRefused(h, () => post(s, xml), { reason: 'TOO_LARGE', requestId: s.requestId });
  });
});

describe('refusals of the adapter itself', () => {
  it('refuses a post without SAMLResponse with 400', async () => {
    const s = await startSignIn(h);
    await expectRefused(h, () => s.browser.post('/saml/bridge/acs', { RelayState: s.relayState }), { reason: 'NO_RESPONSE', status: 400, requestId: s.requestId });
  });

  it('refuses a valid Response without RelayState', async () => {
    const s = await startSignIn(h);
    const xml = await responseFor(s);
    await expectRefused(h, () => postResponse(h, s.browser, xml, null), { reason: 'UNKNOWN_REQUEST', requestId: s.requestId });
  });

  it('refuses a valid Response with an unknown RelayState', async () => {
    const s = await startSignIn(h);
    const xml = await responseFor(s);
    await expectRefused(h, () => postResponse(h, s.browser, xml, '_unknown-relay-state'), { reason: 'UNKNOWN_REQUEST', requestId: s.requestId });
  });

  it('refuses a valid Response posted from another browser, which leaves the request to its own browser', async () => {
    const s = await startSignIn(h);
    const xml = await responseFor(s);
    await expectRefused(h, () => postResponse(h, new TestBrowser(h.idp.url), xml, s.relayState), { reason: 'OTHER_BROWSER', requestId: s.requestId });
    const res = await post(s, xml);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/mfa\//);
  });

  it('refuses a valid Response for a user not in the store, beginning no challenge', async () => {
    const s = await startSignIn(h);
    const xml = await responseFor(s, { nameId: 'nobody@example.test' });
    const row = await expectRefused(h, () => post(s, xml), { reason: 'UNKNOWN_USER', requestId: s.requestId, assertionRemembered: true, requestConsumed: true });
    expect(row.username).toBe('nobody@example.test');
  });
});

describe('two hosts on one store', () => {
  let dir: string;
  let a: BridgeHost;
  let b: BridgeHost;

  beforeAll(async () => {
    dir = makeTempDir('fg-bridge-cluster-');
    a = await startBridgeHost(upstream.certPem, { dir });
    // Host B: the same folder (store, signing key, data key) and the cluster's outside URL.
    b = await startBridgeHost(upstream.certPem, { dir, publicUrl: a.publicUrl, rp: a.rp });
  }, 60_000);

  afterAll(async () => {
    await b?.idp.close();
    await a?.idp.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a Response accepted on host A is refused on host B, and its assertion id cannot be reused there', async () => {
    const s = await startSignIn(a);
    const spec = validSpec(a.idp.clock.now(), { nameId: ALICE }, s.target);
    const xml = await signedResponse(spec, upstream);
    const accepted = await postResponse(a, s.browser, xml, s.relayState);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toMatch(/^\/mfa\//);

    // The same post, same browser cookies, to host B: the request was consumed on A.
    await expectRefused(b, () => postResponse(b, s.browser, xml, s.relayState), { reason: 'UNKNOWN_REQUEST' });

    // A sign-in started on B, answered with the assertion id A accepted: B's replay cache is A's.
    const t = await startSignIn(b);
    const again = await signedResponse(validSpec(b.idp.clock.now(), { nameId: ALICE, assertionId: spec.assertionId }, t.target), upstream);
    await expectRefused(b, () => postResponse(b, t.browser, again, t.relayState), { reason: 'REPLAY', requestId: t.requestId });
  });
});

describe('the host after every attack', () => {
  it('logged no error: each refusal was an ordinary one, not a crash', () => {
    const lines = h.idp.logs.map((line) => JSON.parse(line) as { level: number; msg?: string });
    expect(lines.filter((l) => l.msg === 'upstream SAML response refused').length).toBeGreaterThan(40);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
