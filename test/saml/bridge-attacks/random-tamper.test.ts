/**
 * One-character tampers at seeded random positions of a valid Response (both levels signed).
 * Whatever the change, the validation answers with a typed result and never throws; and when
 * it accepts, it yields exactly the identity and attributes that were signed (the only bytes
 * a tamper may touch and still pass are the unsigned ones: KeyInfo, whitespace between
 * signatures' base64 lines, the XML declaration).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUpstreamResponseChecks, UPSTREAM_RESPONSE_CHECKS, type UpstreamResult } from '../../../src/saml/verify-response.js';
import { bridgeFixture, MemoryReplayCache, NOW } from './support/fixture.js';
import { signedResponse, validSpec } from './support/upstream-response.js';

const fx = bridgeFixture();
let valid: string;
let reference: UpstreamResult;
beforeAll(async () => {
  valid = await signedResponse(validSpec(NOW, { signResponse: true }), fx.upstream);
  reference = await check(valid);
});
afterAll(() => fx.cleanup());

function check(xml: string): Promise<UpstreamResult> {
  // A fresh replay cache and an always-outstanding request: only the document is on trial.
  return runUpstreamResponseChecks(
    UPSTREAM_RESPONSE_CHECKS,
    xml,
    fx.expectations({ consumeRequestId: () => true }),
    { clock: fx.clock, replay: new MemoryReplayCache(fx.clock) },
  );
}

/** Mulberry32: a small seeded PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLACEMENTS = ['a', 'Z', '0', ' ', '<', '>', '"', '&', '/', '=', '\n', 'é', ''];

describe('random one-character tampers', () => {
  it('the untouched document passes', () => {
    expect(reference.ok).toBe(true);
  });

  it('never throw, and never yield anything but the signed identity', async () => {
    const random = prng(20260302);
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const at = Math.floor(random() * valid.length);
      const by = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)] as string;
      const tampered = valid.slice(0, at) + by + valid.slice(at + 1);
      if (tampered === valid) continue;
      const result = await check(tampered);
      if (result.ok) {
        accepted++;
        expect({ case: i, result }).toEqual({ case: i, result: reference });
      } else {
        expect(typeof result.reason).toBe('string');
      }
    }
    // Most bytes are signed; a few (KeyInfo, base64 line breaks) are not.
    expect(accepted).toBeLessThan(100);
  });
});
