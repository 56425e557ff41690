/**
 * An adapter's secret box: subkeys of the ring for that adapter alone, rotating with the ring;
 * values sealed with the host's box before host API 2.0 open only in their adapter's namespace;
 * `reseal` moves a value to the current key's subkey.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { SecretBox, sealedKeyId } from '../../src/store/secret-box.js';
import { adapterSecrets } from '../../src/store/adapter/adapter-secrets.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const clock = new ManualClock();

function boxes(ring = [k1]) {
  const host = new SecretBox(ring, clock);
  return { host, of: (name: string) => adapterSecrets(ring, host, name, clock) };
}

describe('adapter secrets', () => {
  it('seal under the ring key id, open for the same adapter and context only', () => {
    const { host, of } = boxes();
    const sealed = of('forms-proxy').encrypt('held reply', 'forms-proxy:held:1');
    expect(sealedKeyId(sealed)).toBe('k1');
    expect(of('forms-proxy').decryptText(sealed, 'forms-proxy:held:1')).toBe('held reply');
    expect(() => of('forms-proxy').decrypt(sealed, 'forms-proxy:held:2')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    expect(() => of('saml-bridge').decrypt(sealed, 'forms-proxy:held:1')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    expect(() => host.decrypt(sealed, 'forms-proxy:held:1')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
  });

  it('open a value the host box sealed before 2.0 only within the adapter namespace (the migration path)', () => {
    const { host, of } = boxes();
    const legacy = host.encrypt('held before 2.0', 'forms-proxy:held:7');
    expect(of('forms-proxy').decryptText(legacy, 'forms-proxy:held:7')).toBe('held before 2.0');
    // Another adapter cannot borrow the fallback, even naming the same context.
    expect(() => of('saml-bridge').decrypt(legacy, 'forms-proxy:held:7')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    // Nor reach a core value (its context is outside every adapter namespace).
    const seed = host.encrypt('totp seed', 'factor:f1');
    expect(() => of('forms-proxy').decrypt(seed, 'factor:f1')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    // A name that prefixes another's does not reach it: `forms:` is not `forms-proxy:`.
    expect(() => of('forms').decrypt(legacy, 'forms-proxy:held:7')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
  });

  it('follow rotation: after a new key, new values use it, old ones still open, and reseal moves them (legacy ones too)', () => {
    const before = boxes([k1]);
    const old = before.of('saml-bridge').encrypt('request', 'saml-bridge:request:r1');
    const legacy = before.host.encrypt('request before 2.0', 'saml-bridge:request:r2');
    const after = boxes([k1, k2]);
    const bridge = after.of('saml-bridge');
    expect(bridge.currentKeyId).toBe('k2');
    expect(sealedKeyId(bridge.encrypt('x', 'saml-bridge:c'))).toBe('k2');
    expect(bridge.decryptText(old, 'saml-bridge:request:r1')).toBe('request');
    const moved = bridge.reseal(old, 'saml-bridge:request:r1')!;
    expect(sealedKeyId(moved)).toBe('k2');
    expect(bridge.decryptText(moved, 'saml-bridge:request:r1')).toBe('request');
    expect(bridge.reseal(moved, 'saml-bridge:request:r1')).toBeNull();
    const movedLegacy = bridge.reseal(legacy, 'saml-bridge:request:r2')!;
    expect(bridge.decryptText(movedLegacy, 'saml-bridge:request:r2')).toBe('request before 2.0');
    expect(() => after.host.decrypt(movedLegacy, 'saml-bridge:request:r2')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    // Once k1 is retired, what was resealed still opens.
    expect(boxes([k2]).of('saml-bridge').decryptText(moved, 'saml-bridge:request:r1')).toBe('request');
  });

  it('derive keys per adapter from the host derivation: stable across rotation, the saml-idp pairwise key unchanged', () => {
    const one = boxes([k1]);
    const two = boxes([k1, k2]);
    expect(one.of('saml-idp').deriveKey('pairwise nameid v1').equals(one.host.deriveKey('saml-idp pairwise nameid v1'))).toBe(true);
    expect(two.of('saml-idp').deriveKey('pairwise nameid v1').equals(one.of('saml-idp').deriveKey('pairwise nameid v1'))).toBe(true);
    expect(one.of('hello').deriveKey('pairwise nameid v1').equals(one.of('saml-idp').deriveKey('pairwise nameid v1'))).toBe(false);
  });
});
