/**
 * The secret box an adapter gets (`host.secrets`): the same envelope encryption as the host's,
 * under subkeys derived for that adapter alone: HKDF-SHA256 (RFC 5869) of each key of the ring,
 * with info naming the adapter. A value one adapter sealed cannot be opened by another, nor by
 * the host's own box, whatever context string it guesses.
 *
 * Rotation: the subkeys follow the ring key for key (same ids, same `activeFrom`), so a value
 * names the ring key it was sealed under and `keys status` / `keys retire` count it like any
 * other; `keys rewrap` re-seals the adapters' declared `sealedColumns` through each adapter's own
 * box (`resealer`). The derivation does not make rewrap unnecessary on purpose: retiring a
 * compromised ring key must also retire what adapters sealed under it.
 *
 * Before 2.0 the built-in adapters sealed with the host's box. Those values (a held login reply,
 * an outstanding bridge request, a form token; all short-lived) still open, but only through the
 * box of the adapter whose name starts their context (`forms-proxy:held:…`), and nothing new is
 * ever sealed that way; `keys rewrap` moves any that are under an older key into the subkeys.
 *
 * `deriveKey(purpose)` is the host's stable derivation (from the pinned derivation root, so it
 * survives rotation) under a purpose prefixed with the adapter's name.
 */
import { hkdfSync } from 'node:crypto';
import { isFactorgateError } from '../../kit/errors.js';
import type { Clock } from '../../kit/clock.js';
import { SecretBox, type KeyEncryptionKey } from '../secret-box.js';

export interface AdapterSecrets {
  /** Seals `plaintext` bound to `context`; only this adapter, with the same context, opens it. */
  encrypt(plaintext: string | Buffer, context: string): string;
  /** Opens a value this adapter sealed with `context`; anything else is SECRET_TAMPERED. */
  decrypt(sealed: string, context: string): Buffer;
  decryptText(sealed: string, context: string): string;
  /** A stable 32-byte key for `purpose`, private to this adapter (the same across key rotation). */
  deriveKey(purpose: string): Buffer;
}

/** What `keys rewrap` needs of a box: re-seal one value under the current key. */
export interface Resealer {
  readonly currentKeyId: string;
  /** The value sealed again under the current key, or null when it already is. */
  reseal(sealed: string, context: string): string | null;
}

/** HKDF info of an adapter's subkeys; changing it would orphan every value adapters sealed. */
function subkeyInfo(adapter: string): string {
  return `factorgate adapter secrets ${adapter}`;
}

export function adapterSecrets(ring: readonly KeyEncryptionKey[], hostBox: SecretBox, adapter: string, clock: Clock): AdapterSecrets & Resealer {
  const scoped = new SecretBox(
    ring.map((k) => ({ id: k.id, activeFrom: k.activeFrom, key: Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), subkeyInfo(adapter), 32)) })),
    clock,
  );
  const legacyPrefix = `${adapter}:`;
  const decrypt = (sealed: string, context: string): Buffer => {
    try {
      return scoped.decrypt(sealed, context);
    } catch (err) {
      // Sealed with the host's box before adapters were scoped: only in this adapter's namespace.
      if (!isFactorgateError(err) || err.code !== 'SECRET_TAMPERED' || !context.startsWith(legacyPrefix)) throw err;
      try {
        return hostBox.decrypt(sealed, context);
      } catch {
        throw err;
      }
    }
  };
  return {
    encrypt: (plaintext, context) => scoped.encrypt(plaintext, context),
    decrypt,
    decryptText: (sealed, context) => decrypt(sealed, context).toString('utf8'),
    deriveKey: (purpose) => hostBox.deriveKey(`${adapter} ${purpose}`),
    get currentKeyId() {
      return scoped.currentKeyId;
    },
    reseal(sealed, context) {
      if (!scoped.needsRewrap(sealed)) return null;
      const plain = decrypt(sealed, context);
      try {
        return scoped.encrypt(plain, context);
      } finally {
        plain.fill(0);
      }
    },
  };
}
