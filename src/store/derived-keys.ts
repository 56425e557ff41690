/**
 * Keys derived from the secrets key ring for one purpose (the CSRF MAC key, the pepper of sent
 * codes), with HKDF (RFC 5869) so no purpose ever uses a ring key directly.
 *
 * After a rotation the newly current key makes new tokens, and the previous one is still
 * accepted for a grace (by default one session lifetime): a form opened or a code sent just
 * before the switch still works, and after the grace the old key no longer counts even while
 * it stays in the ring to decrypt old values. The grace runs from the current key's
 * `activeFrom`, or, for a key without one, from `since` (the ring's load time).
 */
import { hkdfSync } from 'node:crypto';
import { currentKeyIndex, type KeyEncryptionKey } from './secret-box.js';
import type { Clock } from '../kit/clock.js';

export interface DerivedKeyOptions {
  clock: Clock;
  /** How long the previous key is still accepted after the current one became active. */
  graceMs: number;
  /** Epoch ms the grace runs from for a current key without `activeFrom`. */
  since: number;
}

export class DerivedKeys {
  readonly #ring: readonly { id: string; activeFrom: number | undefined; derived: Buffer }[];
  readonly #opts: DerivedKeyOptions;

  constructor(keys: readonly KeyEncryptionKey[], info: string, opts: DerivedKeyOptions) {
    if (keys.length === 0) throw new Error('DerivedKeys needs at least one key');
    this.#ring = keys.map((k) => ({ id: k.id, activeFrom: k.activeFrom, derived: Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), info, 32)) }));
    this.#opts = opts;
  }

  /** The key new tokens are made with. */
  current(): Buffer {
    return this.#ring[currentKeyIndex(this.#ring, this.#opts.clock.now())]!.derived;
  }

  /** The keys a token may have been made with: the current one, and the previous within the grace. */
  accepted(): Buffer[] {
    const now = this.#opts.clock.now();
    const i = currentKeyIndex(this.#ring, now);
    const current = this.#ring[i]!;
    if (i === 0) return [current.derived];
    const since = current.activeFrom ?? this.#opts.since;
    return now < since + this.#opts.graceMs ? [current.derived, this.#ring[i - 1]!.derived] : [current.derived];
  }
}
