/**
 * Known answers for every stored hash format and for `hashCode`: fixed inputs, outputs computed
 * by independent implementations (the Argon2 reference `argon2` command, Python's hashlib and
 * hmac). A change of framing, normalisation or encoding that would silently invalidate stored
 * values fails here.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ARGON2ID, dummySecretHash, hashSecret, isSecretHash, verifySecret } from '../../src/hashing/secret-hash.js';
import { hashPassword, verifyPassword } from '../../src/directory/password-hash.js';
import { hashCode } from '../../src/delivery/codes.js';

// `echo -n "correct horse battery staple" | argon2 'factorgate-salt!' -id -t 2 -k 19456 -p 1 -l 32 -e`
const ARGON2ID_VECTOR = '$argon2id$v=19$m=19456,t=2,p=1$ZmFjdG9yZ2F0ZS1zYWx0IQ$D3VMDbcR64cJwH9ecuxEJVNRDmA6ALGBJc9PQNPBfcc';
// The users file's format before: scrypt$<log2 N>$r$p$<base64 salt>$<base64 hash>, here
// hashlib.scrypt(b"pleaseletmein", salt=b"SodiumChloride", n=2**15, r=8, p=1, dklen=32).
const LEGACY_PASSWORD = 'scrypt$15$8$1$U29kaXVtQ2hsb3JpZGU=$9yy8IEvc/D/1sRXYUIrsFWb/DvP2WDiGAaOTMHjvesg=';
// The same inputs at RFC 7914 §12's N=2^14 with its 64-byte output (first vector of the RFC, in full).
const RFC7914 =
  'scrypt$14$8$1$U29kaXVtQ2hsb3JpZGU=$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw==';
// PINs before: scrypt$<N>$r$p$<base64url salt>$<base64url hash>, hashlib.scrypt(b"123456", salt=01..10, n=32768).
const LEGACY_PIN = 'scrypt$32768$8$1$AQIDBAUGBwgJCgsMDQ4PEA$oLQGCwlTzJiub1QvfmWKL4GQoPJo4tnGDXCvy4a6Aqg';

describe('the secret hash format (passwords, PINs, app passwords)', () => {
  it('writes Argon2id at OWASP parameters as the reference implementation does, byte for byte', async () => {
    expect(ARGON2ID).toMatchObject({ m: 19_456, t: 2, p: 1 });
    expect(await hashSecret('correct horse battery staple', Buffer.from('factorgate-salt!'))).toBe(ARGON2ID_VECTOR);
    expect(await verifySecret('correct horse battery staple', ARGON2ID_VECTOR)).toEqual({ ok: true, needsRehash: false });
    expect((await verifySecret('correct horse battery stapler', ARGON2ID_VECTOR)).ok).toBe(false);
  });

  it('verifies the users file format from before, and the RFC 7914 vector, asking for a rehash', async () => {
    expect(await verifySecret('pleaseletmein', LEGACY_PASSWORD)).toEqual({ ok: true, needsRehash: true });
    expect(await verifySecret('pleaseletmein', RFC7914)).toEqual({ ok: true, needsRehash: true });
    expect(await verifySecret('pleaseletmeout', LEGACY_PASSWORD)).toEqual({ ok: false, needsRehash: false });
    expect(await verifyPassword('pleaseletmein', LEGACY_PASSWORD)).toBe(true);
  });

  it('verifies the PIN format from before, which shared the scrypt$ prefix with N written out in base64url', async () => {
    expect(await verifySecret('123456', LEGACY_PIN)).toEqual({ ok: true, needsRehash: true });
    expect((await verifySecret('654321', LEGACY_PIN)).ok).toBe(false);
  });

  it('NFKC-normalises before hashing: full-width digits verify as ASCII ones', async () => {
    expect((await verifySecret('１２３４５６', LEGACY_PIN)).ok).toBe(true);
    const h = await hashSecret('ｐａｓｓ');
    expect((await verifySecret('pass', h)).ok).toBe(true);
  });

  it('asks for a rehash of an Argon2id hash below today\'s cost', async () => {
    // argon2 'factorgate-salt!' -id -t 1 -k 8192 -p 1 -l 32 -e, password "pw"
    const weaker = '$argon2id$v=19$m=8192,t=1,p=1$ZmFjdG9yZ2F0ZS1zYWx0IQ$vYE9xJBhkjo+9Jjul1Hwa3KWh8E5ZMcPcdynC4vI5UM';
    expect(await verifySecret('pw', weaker)).toEqual({ ok: true, needsRehash: true });
  });

  it('refuses malformed hashes and costs beyond its bounds without doing their work', async () => {
    for (const bad of [
      '',
      'plain',
      '$argon2i$v=19$m=19456,t=2,p=1$ZmFjdG9yZ2F0ZS1zYWx0IQ$D3VMDbcR64cJwH9ecuxEJVNRDmA6ALGBJc9PQNPBfcc',
      '$argon2id$v=19$m=4194304,t=2,p=1$ZmFjdG9yZ2F0ZS1zYWx0IQ$D3VMDbcR64cJwH9ecuxEJVNRDmA6ALGBJc9PQNPBfcc',
      '$argon2id$v=16$m=19456,t=2,p=1$ZmFjdG9yZ2F0ZS1zYWx0IQ$D3VMDbcR64cJwH9ecuxEJVNRDmA6ALGBJc9PQNPBfcc',
      'scrypt$25$8$1$U29kaXVtQ2hsb3JpZGU=$9yy8IEvc/D/1sRXYUIrsFWb/DvP2WDiGAaOTMHjvesg=',
      'scrypt$30000$8$1$AQIDBAUGBwgJCgsMDQ4PEA$oLQGCwlTzJiub1QvfmWKL4GQoPJo4tnGDXCvy4a6Aqg',
    ]) {
      expect(isSecretHash(bad), bad).toBe(false);
      expect(await verifySecret('anything', bad)).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('every new hash is salted: two of the same secret differ, and both verify', async () => {
    const [a, b] = [await hashPassword('same'), await hashPassword('same')];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect((await verifySecret('same', b)).ok).toBe(true);
    expect((await verifySecret('anything', await dummySecretHash())).ok).toBe(false);
  });
});

describe('hashCode (sent codes)', () => {
  it('is HMAC-SHA256(pepper, "fg-code-v1\\0" challenge "\\0" code), base64url, as computed independently', () => {
    // hmac.new(bytes([7])*32, b"fg-code-v1\0chal-1\0123456", sha256), base64url without padding.
    expect(hashCode('123456', 'chal-1', Buffer.alloc(32, 7))).toBe('2r-JSEOaf1_l3T0LbQNHS9cubru5HoBOWevBMxKMLNY');
    // What users type is normalised first: spaces, dashes, full-width digits.
    expect(hashCode('123 456', 'chal-1', Buffer.alloc(32, 7))).toBe('2r-JSEOaf1_l3T0LbQNHS9cubru5HoBOWevBMxKMLNY');
    expect(hashCode('１２３-４５６', 'chal-1', Buffer.alloc(32, 7))).toBe('2r-JSEOaf1_l3T0LbQNHS9cubru5HoBOWevBMxKMLNY');
    expect(hashCode('123456', 'chal-2', Buffer.alloc(32, 7))).not.toBe('2r-JSEOaf1_l3T0LbQNHS9cubru5HoBOWevBMxKMLNY');
    expect(hashCode('123456', 'chal-1', randomBytes(32))).not.toBe('2r-JSEOaf1_l3T0LbQNHS9cubru5HoBOWevBMxKMLNY');
  });
});
