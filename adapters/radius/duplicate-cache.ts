/**
 * Duplicate detection (RFC 5080 §2.2.2): a client retransmits a request it got no answer to
 * with the same identifier and Request Authenticator. Within the window such a request gets
 * the reply already sent, byte for byte, and is never processed again: a code is not checked
 * twice, a challenge not begun twice, an SMS not sent twice. While the first copy is still
 * being processed, copies are dropped (its reply answers them). Bounded: at most `max` keys,
 * the oldest evicted first.
 */
export type DuplicateLookup = { seen: false } | { seen: true; reply: Buffer | null };

export class DuplicateCache {
  private readonly entries = new Map<string, { reply: Buffer | null; expiresAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('base64')}`;
  }

  /** Records `key` as being processed unless it was seen within the window. */
  claim(key: string, now: number): DuplicateLookup {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return { seen: true, reply: hit.reply };
    if (hit) this.entries.delete(key);
    this.entries.set(key, { reply: null, expiresAt: now + this.windowMs });
    this.evict(now);
    return { seen: false };
  }

  /** The reply sent for `key`, kept for the rest of the window. */
  settle(key: string, reply: Buffer | null, now: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (reply === null) this.entries.delete(key);
    else e.reply = reply;
    this.evict(now);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    // Insertion order is expiry order (one window for all): drop expired, then the oldest.
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now && this.entries.size <= this.max) break;
      this.entries.delete(k);
    }
  }
}
