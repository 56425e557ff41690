/**
 * Single use of results: each result's `jti` is remembered until the result expires. The
 * default store is this process's memory; apps running several instances pass a shared one
 * (Redis, their database) with the same one method.
 */
export interface ReplayStore {
  /** Records `id` until `expiresAt` (ms); answers false when it was already recorded. */
  markUsed(id: string, expiresAt: number): boolean | Promise<boolean>;
}

export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  markUsed(id: string, expiresAt: number): boolean {
    const now = this.now();
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
    if (this.seen.has(id)) return false;
    this.seen.set(id, expiresAt);
    return true;
  }
}
