/**
 * At most `maxInFlight` password checks at once per host. A check is a scrypt hash (32 MiB, tens
 * of milliseconds of CPU on libuv's four-thread pool, which RSA signing for single sign-on also
 * uses) or an LDAP bind; unbounded, a few clients spraying passwords saturate the CPU and starve
 * the challenge and SSO traffic. Checks beyond the limit queue for at most `queueWaitMs`, then
 * fail with BUSY (503, "temporarily unavailable"), which regulation does not count.
 */
import { FactorgateError } from '../kit/errors.js';
import type { Directory } from '../directory/directory.js';

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout;
}

export class PasswordCheckGate {
  #inFlight = 0;
  readonly #queue: Waiter[] = [];
  readonly #maxQueue: number;

  constructor(
    readonly maxInFlight: number,
    readonly queueWaitMs: number,
  ) {
    // The wait already bounds the queue in time; this bounds it in memory under a flood.
    this.#maxQueue = maxInFlight * 64;
  }

  /** Checks running now and waiting (for metrics and tests). */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.#inFlight, queued: this.#queue.length };
  }

  async run<T>(check: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await check();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#inFlight < this.maxInFlight) {
      this.#inFlight++;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(this.#busy('queue full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(this.#busy(`no turn within ${this.queueWaitMs} ms`));
        }, this.queueWaitMs),
      };
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (!next) {
      this.#inFlight--;
      return;
    }
    // The slot passes straight to the next waiter: in-flight stays the same.
    clearTimeout(next.timer);
    next.resolve();
  }

  #busy(why: string): FactorgateError {
    return new FactorgateError('BUSY', { detail: `password checks busy (${this.maxInFlight} in flight): ${why}` });
  }
}

/** The directory with `authenticate` behind the gate; finding and listing users are not gated. */
export function gatePasswordChecks(directory: Directory, gate: PasswordCheckGate): Directory {
  return {
    get kind() {
      return directory.kind;
    },
    authenticate: (username, password) => gate.run(() => directory.authenticate(username, password)),
    find: (username) => directory.find(username),
    list: (options) => directory.list(options),
    ping: () => directory.ping(),
    close: () => directory.close(),
  };
}
