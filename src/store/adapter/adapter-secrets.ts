/**
 * The secret box an adapter gets: the same envelope encryption as the host's, under subkeys
 * derived for that adapter alone (HKDF-SHA256 of each key of the ring, RFC 5869, info naming
 * the adapter), so a value one adapter sealed cannot be opened by another, whatever context
 * string it guesses. Key ids and rotation follow the ring. Derived keys (`deriveKey`) are the
 * host's derivation under a purpose prefixed with the adapter's name: stable for the life of the
 * deployment, and the saml-idp's pairwise identifiers keep the value they had before adapters
 * were scoped (its purpose was already `saml-idp pairwise nameid v1`).
 */
import { hkdfSync } from 'node:crypto';
import { SecretBox, type KeyEncryptionKey } from '../secret-box.js';
import type { Clock } from '../../kit/clock.js';

export interface AdapterSecrets {
  /** Seals `plaintext` bound to `context`; only this adapter, with the same context, opens it. */
  encrypt(plaintext: string | Buffer, context: string): string;
  decrypt(sealed: string, context: string): Buffer;
  decryptText(sealed: string, context: string): string;
  /** A stable 32-byte key for `purpose`, private to this adapter. */
  deriveKey(purpose: string): Buffer;
}

export function adapterSecrets(ring: readonly KeyEncryptionKey[], hostBox: SecretBox, adapter: string, clock: Clock): AdapterSecrets {
  const box = new SecretBox(
    ring.map((k) => ({ id: k.id, activeFrom: k.activeFrom, key: Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), `factorgate adapter secrets ${adapter}`, 32)) })),
    clock,
  );
  return {
    encrypt: (plaintext, context) => box.encrypt(plaintext, context),
    decrypt: (sealed, context) => box.decrypt(sealed, context),
    decryptText: (sealed, context) => box.decryptText(sealed, context),
    deriveKey: (purpose) => hostBox.deriveKey(`${adapter} ${purpose}`),
  };
}
