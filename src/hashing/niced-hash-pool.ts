/**
 * Runs the slow hashes (Argon2id, scrypt) on a small pool of worker threads that drop their own
 * scheduling priority to nice 19, so a flood of password checks cannot take the CPU from the
 * thread answering SSO and challenge requests (issue 16). Bounding how many hashes run at once
 * (regulation's password-check gate, still in front) does not bound their CPU share: two hashes
 * running all the time take both cores of a two-core host. At nice 19 the kernel (CFS weight 15
 * against 1024 at nice 0) runs them only when the main thread does not need the core.
 *
 * On Linux nice is per thread (setpriority(2) on a TID): a worker reads its TID from
 * /proc/thread-self ("PID/task/TID") and calls os.setPriority(TID, 19). Inside the worker the
 * synchronous hash functions are used so the work runs on that niced thread; the async ones would
 * run on libuv's process-wide threadpool at normal priority.
 *
 * Without /proc/thread-self (not Linux) hashing stays in-thread as before; `hashingMode()` says so
 * and the host logs it once at start.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type HashJob =
  | { kind: 'argon2id'; secret: string; salt: Buffer; m: number; t: number; p: number; outputLen: number }
  | { kind: 'scrypt'; secret: string; salt: Buffer; keyLen: number; N: number; r: number; p: number };

type Request = { id: number; job: HashJob | { kind: 'nice' } };
type Reply = { id: number; ok: true; value: Uint8Array | number } | { id: number; ok: false; message: string };

// Plain JavaScript run with `eval: true`: the same code whether factorgate runs from dist or its
// TypeScript sources (tests), with no loader for a worker file. The argon2 binding's path comes
// from the parent's module resolution.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync, readFileSync } = require('node:fs');
const { setPriority } = require('node:os');
const { scryptSync } = require('node:crypto');
const { hashRawSync } = require(workerData.argon2Path);
const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
setPriority(tid, 19);
function nice() {
  const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; nice is field 19.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
parentPort.on('message', ({ id, job }) => {
  try {
    let value;
    if (job.kind === 'nice') value = nice();
    else if (job.kind === 'argon2id') value = hashRawSync(job.secret, { algorithm: 2, version: 1, memoryCost: job.m, timeCost: job.t, parallelism: job.p, outputLen: job.outputLen, salt: Buffer.from(job.salt) });
    else value = scryptSync(job.secret, Buffer.from(job.salt), job.keyLen, { N: job.N, r: job.r, p: job.p, maxmem: 129 * job.N * job.r });
    parentPort.postMessage({ id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: String(err && err.message) });
  }
});
`;

interface Pending {
  resolve: (value: Uint8Array | number) => void;
  reject: (err: Error) => void;
}

class HashWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(argon2Path: string, onExit: (w: HashWorker) => void) {
    // No inherited flags: --input-type=module (or a loader) would change how the eval source is read.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { argon2Path } });
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`hash worker: ${reply.message}`));
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      onExit(this);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.worker.unref();
  }

  get load(): number {
    return this.pending.size;
  }

  run(job: Request['job']): Promise<Uint8Array | number> {
    const id = this.nextId++;
    // Keep the process alive while a hash is owed (a CLI command waits for it); idle workers do not.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, job } satisfies Request);
    });
  }
}

/** A fixed number of niced workers; each job goes to the least loaded one. */
class NicedHashPool {
  private readonly workers: HashWorker[] = [];

  constructor(
    private readonly size: number,
    private readonly argon2Path: string,
  ) {}

  private all(): HashWorker[] {
    while (this.workers.length < this.size) {
      this.workers.push(new HashWorker(this.argon2Path, (w) => this.workers.splice(this.workers.indexOf(w) >>> 0, 1)));
    }
    return this.workers;
  }

  async hash(job: HashJob): Promise<Buffer> {
    const worker = this.all().reduce((a, b) => (b.load < a.load ? b : a));
    const value = await worker.run(job);
    if (!(value instanceof Uint8Array)) throw new Error('hash worker: no hash returned');
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }

  /** Each worker's nice value, as its own thread's /proc stat shows it. */
  async niceValues(): Promise<number[]> {
    return Promise.all(this.all().map(async (w) => Number(await w.run({ kind: 'nice' }))));
  }
}

// Two workers: a hash is CPU-bound and at nice 19 more workers than cores buy nothing; the gate
// in front keeps the queue short.
const POOL_SIZE = Math.min(2, availableParallelism());
const supported = existsSync('/proc/thread-self');
let pool: NicedHashPool | undefined;

/** Where hashes run: on niced worker threads, or in-thread where the platform has no per-thread nice. */
export function hashingMode(): { mode: 'niced-workers'; workers: number } | { mode: 'in-thread'; reason: string } {
  return supported ? { mode: 'niced-workers', workers: POOL_SIZE } : { mode: 'in-thread', reason: '/proc/thread-self is absent: no per-thread priority' };
}

/** The pool, or undefined when hashing stays in-thread. */
export function nicedHashPool(): { hash(job: HashJob): Promise<Buffer>; niceValues(): Promise<number[]> } | undefined {
  if (!supported) return undefined;
  pool ??= new NicedHashPool(POOL_SIZE, createRequire(import.meta.url).resolve('@node-rs/argon2'));
  return pool;
}
