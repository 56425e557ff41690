/**
 * Password checks per host, bounded two ways. A check is an Argon2id or scrypt hash (tens of
 * milliseconds of CPU) or an LDAP bind; unbounded, a few clients spraying passwords take the CPU
 * from the challenge and SSO traffic (issue 16).
 * - At most `maxInFlight` run at once.
 * - At most `perSecond` start per second on average (a token bucket holding up to `burst`):
 *   bounding the checks in flight does not bound their share of the CPU (two hashes running all
 *   the time take both cores of a two-core host, however niced), a budget per second does.
 * A check that cannot start waits in one first-come queue for at most `queueWaitMs`, then fails
 * with BUSY (503, "temporarily unavailable"), which regulation does not count. The wait is also
 * what slows a flood: a client that waits for each answer makes one try per wait.
 *
 * The bucket runs on a monotonic clock (`performance.now`), the same time as its own timers, not
 * on the host's wall `Clock` (which tests freeze).
 */
import { performance } from 'node:perf_hooks';
import { FactorgateError } from '../kit/errors.js';
import type { Directory } from '../directory/directory.js';

export interface PasswordCheckLimits {
  maxInFlight: number;
  queueWaitMs: number;
  /** Checks started per second, on average. */
  perSecond: number;
  /** Checks that may start at once after a quiet spell (the bucket's size). */
  burst: number;
  /** Monotonic milliseconds; tests drive it. */
  now?: () => number;
}

/**
 * One process's share of the host's limits when `server.workers` processes serve it (each has
 * its own gate): the budget and burst divided, and the checks in flight too, but at least one.
 */
export function shareOfHost(limits: PasswordCheckLimits, processes: number): PasswordCheckLimits {
  if (processes <= 1) return limits;
  return {
    ...limits,
    maxInFlight: Math.max(1, Math.floor(limits.maxInFlight / processes)),
    perSecond: limits.perSecond / processes,
    burst: Math.max(1, Math.floor(limits.burst / processes)),
  };
}

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout;
}

export class PasswordCheckGate {
  readonly limits: Readonly<Required<Omit<PasswordCheckLimits, 'now'>>>;
  #inFlight = 0;
  #tokens: number;
  #refilledAt: number;
  #pumpTimer: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  readonly #queue: Waiter[] = [];
  readonly #maxQueue: number;

  constructor(limits: PasswordCheckLimits) {
    const { now = () => performance.now(), ...rest } = limits;
    this.limits = Object.freeze({ ...rest });
    this.#now = now;
    this.#tokens = rest.burst;
    this.#refilledAt = now();
    // The wait already bounds the queue in time; this bounds it in memory under a flood.
    this.#maxQueue = rest.maxInFlight * 64;
  }

  /** Checks running now and waiting, and the budget left (for metrics and tests). */
  get load(): { inFlight: number; queued: number; budget: number } {
    this.#refill();
    return { inFlight: this.#inFlight, queued: this.#queue.length, budget: Math.floor(this.#tokens) };
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
    if (this.#queue.length === 0 && this.#canStart()) {
      this.#start();
      return Promise.resolve();
    }
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(this.#busy('queue full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(this.#busy(`no turn within ${this.limits.queueWaitMs} ms`));
        }, this.limits.queueWaitMs),
      };
      this.#queue.push(waiter);
      this.#schedulePump();
    });
  }

  #release(): void {
    this.#inFlight--;
    this.#pump();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.limits.burst, this.#tokens + ((now - this.#refilledAt) * this.limits.perSecond) / 1000);
    this.#refilledAt = now;
  }

  #canStart(): boolean {
    if (this.#inFlight >= this.limits.maxInFlight) return false;
    this.#refill();
    return this.#tokens >= 1;
  }

  #start(): void {
    this.#inFlight++;
    this.#tokens -= 1;
  }

  /** Starts waiters, oldest first, while a turn and the budget allow. */
  #pump(): void {
    while (this.#queue.length > 0 && this.#canStart()) {
      const next = this.#queue.shift()!;
      clearTimeout(next.timer);
      this.#start();
      next.resolve();
    }
    this.#schedulePump();
  }

  /** When only the budget holds the queue back, wakes up as the next check's token comes in. */
  #schedulePump(): void {
    if (this.#pumpTimer || this.#queue.length === 0 || this.#inFlight >= this.limits.maxInFlight) return; // a release pumps
    const ms = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.limits.perSecond));
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, ms);
    this.#pumpTimer.unref();
  }

  #busy(why: string): FactorgateError {
    const { maxInFlight, perSecond } = this.limits;
    const held = this.#inFlight >= maxInFlight ? `${maxInFlight} in flight` : `over the budget of ${perSecond}/s`;
    return new FactorgateError('BUSY', { detail: `password checks busy (${held}): ${why}` });
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
    ...(directory.listRows ? { listRows: (options) => directory.listRows!(options) } : {}),
    ping: () => directory.ping(),
    close: () => directory.close(),
  };
}
