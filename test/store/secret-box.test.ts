import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, sealedKeyId } from '../../src/store/secret-box.js';
import { ManualClock } from '../../src/kit/clock.js';
import { FactorgateError } from '../../src/kit/errors.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

function expectTampered(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FactorgateError);
    expect((err as FactorgateError).code).toBe('SECRET_TAMPERED');
    return;
  }
  throw new Error('expected SECRET_TAMPERED');
}

describe('envelope encryption of secrets', () => {
  it('round-trips text and binary values bound to their context', () => {
    const box = new SecretBox([k1]);
    const sealed = box.encrypt('JBSWY3DPEHPK3PXP', 'factor:1:secret');
    expect(sealed).toMatch(/^fg1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.decryptText(sealed, 'factor:1:secret')).toBe('JBSWY3DPEHPK3PXP');
    const bin = randomBytes(100);
    expect(box.decrypt(box.encrypt(bin, 'x'), 'x').equals(bin)).toBe(true);
  });

  it('never produces the same ciphertext twice for the same value', () => {
    const box = new SecretBox([k1]);
    expect(box.encrypt('same', 'c')).not.toBe(box.encrypt('same', 'c'));
  });

  it('rotation: new writes use the newest key, values written with an older key still decrypt', () => {
    const old = new SecretBox([k1]);
    const sealedOld = old.encrypt('seed-1', 'ctx');
    const rotated = new SecretBox([k1, k2]);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.decryptText(sealedOld, 'ctx')).toBe('seed-1');
    expect(rotated.needsRewrap(sealedOld)).toBe(true);
    const sealedNew = rotated.encrypt('seed-2', 'ctx');
    expect(sealedNew.startsWith('fg1.k2.')).toBe(true);
    expect(rotated.needsRewrap(sealedNew)).toBe(false);
    // A host that only has the old key cannot read what the new key wrote.
    expectTampered(() => old.decrypt(sealedNew, 'ctx'));
  });

  it('derived keys differ per purpose, are not the ring key, and survive adding a key to the ring', () => {
    const box = new SecretBox([k1]);
    const a = box.deriveKey('purpose a');
    expect(a).toHaveLength(32);
    expect(a.equals(box.deriveKey('purpose b'))).toBe(false);
    expect(a.equals(k1.key)).toBe(false);
    expect(new SecretBox([k1, k2]).deriveKey('purpose a').equals(a)).toBe(true);
    expect(new SecretBox([k2]).deriveKey('purpose a').equals(a)).toBe(false);
  });

  it('refuses a value moved to another record (context is authenticated)', () => {
    const box = new SecretBox([k1]);
    expectTampered(() => box.decrypt(box.encrypt('s', 'factor:1'), 'factor:2'));
  });

  it('refuses every one-character tampering with an error, never garbage', () => {
    const box = new SecretBox([k1]);
    const sealed = box.encrypt('a secret value', 'ctx');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sealed.length; i++) {
      if (sealed[i] === '.') continue;
      const c = sealed[i]!;
      const swapped = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
      const tampered = sealed.slice(0, i) + swapped + sealed.slice(i + 1);
      let result: string | undefined;
      try {
        result = box.decryptText(tampered, 'ctx');
      } catch (err) {
        expect((err as FactorgateError).code).toBe('SECRET_TAMPERED');
        continue;
      }
      // Changing the last base64url character can leave the decoded bytes identical.
      expect(result).toBe('a secret value');
    }
    expectTampered(() => box.decrypt('fg1.k9.AAAA.AAAA', 'ctx'));
    expectTampered(() => box.decrypt('not sealed', 'ctx'));
    expectTampered(() => box.decrypt(sealed.split('.').slice(0, 3).join('.'), 'ctx'));
  });

  it('rejects bad key rings', () => {
    expect(() => new SecretBox([])).toThrow(/at least one key/);
    expect(() => new SecretBox([{ id: 'k', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => new SecretBox([k1, { ...k2, id: 'k1' }])).toThrow(/twice/);
  });

  it('a key announced with activeFrom only decrypts until then, and encrypts from then on', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 12));
    const box = new SecretBox([k1, { ...k2, activeFrom: clock.now() + 60_000 }], clock);
    expect(box.currentKeyId).toBe('k1');
    expect(box.encrypt('v', 'c')).toMatch(/^fg1\.k1\./);
    clock.advance(60_000);
    expect(box.currentKeyId).toBe('k2');
    expect(box.encrypt('v', 'c')).toMatch(/^fg1\.k2\./);
  });

  it('reseal moves a value to the current key with the same plaintext and context, and leaves a current one alone', () => {
    const sealed = new SecretBox([k1]).encrypt('seed', 'factor:9:secret');
    const box = new SecretBox([k1, k2]);
    const moved = box.reseal(sealed, 'factor:9:secret')!;
    expect(sealedKeyId(moved)).toBe('k2');
    expect(box.decryptText(moved, 'factor:9:secret')).toBe('seed');
    expect(box.reseal(moved, 'factor:9:secret')).toBeNull();
    expectTampered(() => box.reseal(sealed, 'factor:10:secret'));
    expect(sealedKeyId('scrypt$15$8$1$x$y')).toBeNull();
  });
});
