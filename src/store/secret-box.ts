/**
 * Envelope encryption of secrets at rest (TOTP seeds, token secrets, held login replies).
 *
 * Each value gets its own random 256-bit data key; the data key is wrapped with the current
 * key-encryption key (KEK) of the key ring, named by its id: the newest key whose `activeFrom`
 * has passed (a key announced for later only decrypts, so every host can receive it before any
 * host writes with it). Older keys still unwrap what they wrote; `reseal` moves a value to the
 * current key (`factorgate keys rewrap`), after which an old key can be retired. Both layers are
 * AES-256-GCM (NIST SP 800-38D) with 96-bit random IVs; the caller's context string is bound
 * as additional authenticated data, so a ciphertext moved to another record fails to open.
 * Tampering of any part is an error (SECRET_TAMPERED), never garbage.
 *
 * Format: `fg1.<kid>.<wrapped: iv|ct|tag>.<data: iv|ct|tag>` (base64url parts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { FactorgateError } from '../kit/errors.js';
import { systemClock, type Clock } from '../kit/clock.js';

const VERSION = 'fg1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface KeyEncryptionKey {
  /** Short identifier written into each ciphertext ([A-Za-z0-9_-], 1–32 chars). */
  id: string;
  /** 32 bytes. */
  key: Buffer;
  /** Epoch ms from which the key encrypts new values; before that it only decrypts. Default: at once. */
  activeFrom?: number | undefined;
}

/**
 * Index of the key that encrypts at `now`: the newest whose `activeFrom` has passed (the oldest
 * when none has). The secret box and every derived key (CSRF, code pepper) agree through this.
 */
export function currentKeyIndex(keys: readonly Pick<KeyEncryptionKey, 'activeFrom'>[], now: number): number {
  for (let i = keys.length - 1; i > 0; i--) {
    const from = keys[i]!.activeFrom;
    if (from === undefined || from <= now) return i;
  }
  return 0;
}

/** The key id a sealed value names, or null when the text is not a sealed value. */
export function sealedKeyId(sealed: string): string | null {
  const m = /^fg1\.([A-Za-z0-9_-]{1,32})\./.exec(sealed);
  return m ? m[1]! : null;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw tampered('sealed value too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ct = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch (cause) {
    throw tampered('authentication tag mismatch', cause);
  }
}

function tampered(detail: string, cause?: unknown): FactorgateError {
  return new FactorgateError('SECRET_TAMPERED', { detail, cause });
}

export class SecretBox {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #ring: readonly KeyEncryptionKey[];
  readonly #clock: Clock;
  #root: Buffer | undefined;

  /** `keys` in age order: the last active one wraps new writes. */
  constructor(keys: readonly KeyEncryptionKey[], clock: Clock = systemClock) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    const map = new Map<string, Buffer>();
    for (const k of keys) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(k.id)) throw new Error(`secret key id "${k.id}" must match [A-Za-z0-9_-]{1,32}`);
      if (k.key.length !== KEY_BYTES) throw new Error(`secret key "${k.id}" must be 32 bytes, got ${k.key.length}`);
      if (map.has(k.id)) throw new Error(`secret key id "${k.id}" is listed twice`);
      map.set(k.id, k.key);
    }
    this.#keys = map;
    this.#ring = keys.map((k) => ({ ...k }));
    this.#clock = clock;
  }

  get #current(): KeyEncryptionKey {
    return this.#ring[currentKeyIndex(this.#ring, this.#clock.now())]!;
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Ids of every key in the ring, oldest first. */
  get keyIds(): readonly string[] {
    return this.#ring.map((k) => k.id);
  }

  /** Encrypts `plaintext` bound to `context` (e.g. `factor:<id>`); the same context opens it. */
  encrypt(plaintext: string | Buffer, context: string): string {
    const current = this.#current;
    const aad = Buffer.from(`${VERSION}|${current.id}|${context}`, 'utf8');
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const wrapped = seal(current.key, dataKey, aad);
      const data = seal(dataKey, typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext, aad);
      return `${VERSION}.${current.id}.${wrapped.toString('base64url')}.${data.toString('base64url')}`;
    } finally {
      dataKey.fill(0);
    }
  }

  decrypt(sealed: string, context: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw tampered('not a sealed value');
    const [, kid, wrappedB64, dataB64] = parts as [string, string, string, string];
    const kek = this.#keys.get(kid);
    if (!kek) throw tampered(`unknown key id "${kid}"`);
    const aad = Buffer.from(`${VERSION}|${kid}|${context}`, 'utf8');
    const dataKey = open(kek, Buffer.from(wrappedB64, 'base64url'), aad);
    try {
      return open(dataKey, Buffer.from(dataB64, 'base64url'), aad);
    } finally {
      dataKey.fill(0);
    }
  }

  decryptText(sealed: string, context: string): string {
    return this.decrypt(sealed, context).toString('utf8');
  }

  /**
   * A 32-byte key for `purpose` (HKDF-SHA256, RFC 5869), for values that must stay the same
   * for as long as the deployment lives (pairwise identifiers): derived from the derivation
   * root, which is the oldest key of the ring until the host pins it from the store
   * (`pinDerivationRoot`), so neither adding nor retiring a key changes it.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#root ?? this.#ring[0]!.key, Buffer.alloc(0), `factorgate ${purpose}`, KEY_BYTES));
  }

  /** Sets the root `deriveKey` derives from (kept sealed in the store: see keys/derivation-root.ts). */
  pinDerivationRoot(root: Buffer): void {
    if (root.length !== KEY_BYTES) throw new Error(`the derivation root must be ${KEY_BYTES} bytes`);
    this.#root = Buffer.from(root);
  }

  /** Whether a value was written with an older key (for a re-encryption sweep). */
  needsRewrap(sealed: string): boolean {
    return sealedKeyId(sealed) !== this.#current.id;
  }

  /**
   * The same plaintext sealed again under the current key (a new data key too), or null when
   * the value already uses it. Throws SECRET_TAMPERED like `decrypt` for a value it cannot open.
   */
  reseal(sealed: string, context: string): string | null {
    if (!this.needsRewrap(sealed)) return null;
    const plain = this.decrypt(sealed, context);
    try {
      return this.encrypt(plain, context);
    } finally {
      plain.fill(0);
    }
  }
}
