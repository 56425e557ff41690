/**
 * The primary of `server.workers > 1`: it serves no HTTP (node:cluster hands each accepted
 * connection to a worker, round-robin) and only supervises.
 * - start: forks one worker per slot; the start fails, and every worker is stopped, if one exits
 *   before it listens (a port in use, a store that refuses);
 * - a worker that dies while serving is replaced in its slot (at once, then with a growing pause
 *   if it keeps dying within seconds of its start); the others go on serving, so only the
 *   connections the dead one held are lost;
 * - restart (SIGHUP): slot by slot, a new worker is forked and listens first, then the old one
 *   drains (stops accepting, finishes its in-flight requests) and exits; a new worker that fails
 *   to start ends the restart and the old ones keep serving;
 * - stop (SIGTERM, SIGINT): every worker drains at once; one that outlives the deadline is killed.
 */
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AdapterLink } from '../../api/host-api.js';
import type { Clock } from '../../kit/clock.js';
import { MetricsSummer } from './cluster-metrics.js';
import { asWorkerMessage, type PrimaryMessage, type ReadyMessage } from './messages.js';

export interface SupervisorOptions {
  count: number;
  logger: Logger;
  clock: Clock;
  /** How long a draining worker may take before it is killed (its own shutdown deadline and a margin). */
  drainTimeoutMs: number;
  /** Forks a worker for a slot (cluster.fork with the slot in its environment). */
  fork(slot: number): Worker;
}

/** A worker that lived at least this long before dying is replaced at once. */
const STEADY_MS = 10_000;
const MAX_PAUSE_MS = 30_000;

/** A worker exited before it listened. */
export class WorkerStartError extends Error {
  constructor(
    readonly slot: number,
    readonly exit: string,
  ) {
    super(`worker ${slot} exited before it listened (${exit}); its error is printed above`);
  }
}

interface Running {
  worker: Worker;
  slot: number;
  startedAt: number;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? '?'}`;
}

export class WorkerSupervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #metrics: MetricsSummer;
  /** The worker serving each slot (set once it listens). */
  readonly #slots = new Map<number, Running>();
  /** Every forked worker still alive, serving, starting or draining. */
  readonly #alive = new Set<Worker>();
  readonly #draining = new Set<Worker>();
  readonly #quickDeaths = new Map<number, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #state: 'idle' | 'running' | 'restarting' | 'stopping' = 'idle';
  #stopped: Promise<void> | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'cluster' });
    this.#metrics = new MetricsSummer(options.count);
  }

  /** The pids serving now, by slot order. */
  pids(): number[] {
    return [...this.#slots.values()].sort((a, b) => a.slot - b.slot).map((r) => r.worker.process.pid ?? 0);
  }

  /** Forks every slot; resolves with what the first worker reported once all listen. */
  async start(): Promise<{ url: string; links: AdapterLink[] }> {
    this.#state = 'running';
    const slots = Array.from({ length: this.#o.count }, (_, i) => i + 1);
    const started = await Promise.allSettled(slots.map((slot) => this.#spawn(slot)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    const first = started[0] as PromiseFulfilledResult<ReadyMessage>;
    this.#log.info({ workers: this.#o.count, pids: this.pids() }, `${this.#o.count} workers listening`);
    return { url: first.value.url, links: first.value.links };
  }

  /** Replaces the workers one at a time, each new one listening before the old one drains. */
  async restart(): Promise<void> {
    if (this.#state !== 'running') {
      this.#log.warn({ state: this.#state }, 'restart ignored: the workers are not all serving');
      return;
    }
    this.#state = 'restarting';
    this.#log.info('rolling restart: replacing the workers one at a time');
    try {
      for (const slot of [...this.#slots.keys()].sort((a, b) => a - b)) {
        const old = this.#slots.get(slot);
        try {
          await this.#spawn(slot);
        } catch (err) {
          this.#log.error({ slot, err: err instanceof Error ? err.message : String(err) }, 'rolling restart stopped: the new worker did not start; the running workers keep serving');
          return;
        }
        if (old) await this.#drain(old.worker);
        if (this.#state !== 'restarting') return;
      }
      this.#log.info({ pids: this.pids() }, 'rolling restart done');
    } finally {
      if (this.#state === 'restarting') this.#state = 'running';
    }
  }

  /** Every worker drains at once; resolves when all have exited. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#state = 'stopping';
      for (const t of this.#timers) clearTimeout(t);
      this.#timers.clear();
      await Promise.all([...this.#alive].map((w) => this.#drain(w)));
      this.#log.info('all workers stopped');
    })();
    return this.#stopped;
  }

  /** Forks a worker for `slot`; resolves when it listens (it then serves the slot), rejects if it exits first. */
  #spawn(slot: number): Promise<ReadyMessage> {
    const worker = this.#o.fork(slot);
    const startedAt = this.#o.clock.now();
    this.#alive.add(worker);
    return new Promise<ReadyMessage>((resolve, reject) => {
      let ready = false;
      worker.on('message', (raw: unknown) => {
        const message = asWorkerMessage(raw);
        if (message?.fg === 'ready' && !ready) {
          ready = true;
          this.#slots.set(slot, { worker, slot, startedAt });
          this.#log.info({ slot, workerPid: worker.process.pid }, 'worker listening');
          resolve(message);
        } else if (message?.fg === 'metrics-wanted') {
          void this.#metrics.sum([...this.#alive]).then((text) => this.#send(worker, { fg: 'metrics-sum', id: message.id, text }));
        } else if (message?.fg === 'metrics-part') {
          this.#metrics.part(worker, message);
        }
      });
      worker.on('exit', (code: number | null, signal: string | null) => {
        this.#alive.delete(worker);
        const exit = describeExit(code, signal);
        if (!ready) {
          reject(new WorkerStartError(slot, exit));
          return;
        }
        this.#exited({ worker, slot, startedAt }, exit);
      });
    });
  }

  #exited(dead: Running, exit: string): void {
    const serving = this.#slots.get(dead.slot)?.worker === dead.worker;
    if (this.#draining.delete(dead.worker) || this.#state === 'stopping' || !serving) {
      this.#log.info({ slot: dead.slot, workerPid: dead.worker.process.pid, exit }, 'worker exited');
      return;
    }
    this.#slots.delete(dead.slot);
    const lived = this.#o.clock.now() - dead.startedAt;
    const quick = lived < STEADY_MS ? (this.#quickDeaths.get(dead.slot) ?? 0) + 1 : 0;
    this.#quickDeaths.set(dead.slot, quick);
    const pauseMs = quick <= 1 ? 0 : Math.min(MAX_PAUSE_MS, 500 * 2 ** (quick - 1));
    this.#log.error({ slot: dead.slot, workerPid: dead.worker.process.pid, exit, livedMs: lived, pauseMs }, 'worker died; replacing it (the other workers go on serving)');
    this.#replaceLater(dead.slot, pauseMs);
  }

  #replaceLater(slot: number, pauseMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#state === 'stopping') return;
      this.#spawn(slot).then(
        () => this.#log.info({ slot, pids: this.pids() }, 'worker replaced'),
        (err: unknown) => {
          const quick = (this.#quickDeaths.get(slot) ?? 0) + 1;
          this.#quickDeaths.set(slot, quick);
          const next = Math.min(MAX_PAUSE_MS, 500 * 2 ** quick);
          this.#log.error({ slot, err: err instanceof Error ? err.message : String(err), pauseMs: next }, 'replacement worker did not start; trying again');
          this.#replaceLater(slot, next);
        },
      );
    }, pauseMs);
    this.#timers.add(timer);
  }

  /** Asks a worker to finish its requests and exit; kills it at the deadline. */
  #drain(worker: Worker): Promise<void> {
    if (!this.#alive.has(worker)) return Promise.resolve();
    this.#draining.add(worker);
    return new Promise<void>((done) => {
      const kill = setTimeout(() => {
        this.#log.warn({ workerPid: worker.process.pid, deadlineMs: this.#o.drainTimeoutMs }, 'worker still draining at the deadline: killed');
        worker.process.kill('SIGKILL');
      }, this.#o.drainTimeoutMs);
      worker.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      if (!this.#send(worker, { fg: 'drain' })) worker.process.kill('SIGTERM');
    });
  }

  #send(worker: Worker, message: PrimaryMessage): boolean {
    if (!worker.isConnected()) return false;
    try {
      worker.send(message);
      return true;
    } catch {
      return false;
    }
  }
}
