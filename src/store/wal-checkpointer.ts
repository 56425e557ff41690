/**
 * SQLite WAL checkpoints off the request thread. In WAL mode every commit appends pages to the
 * `-wal` file; a checkpoint copies them back into the database and, with `synchronous = NORMAL`,
 * fsyncs the WAL and then the database. By default SQLite runs it inside the commit that takes the
 * WAL past 1,000 pages, on the connection that committed: for the host that is the one thread that
 * answers every request, which then waits for two fsyncs (an SSO response commits about nine pages,
 * so every ~110th response paid for a checkpoint; measured 2026-12-07: 15 % of the wall time of an
 * SSO run, with the same CPU).
 *
 * Here a worker thread with its own connection to the same file runs `wal_checkpoint(PASSIVE)`
 * every `intervalMs`: PASSIVE never takes the write lock and never waits, so request writes go on
 * while it copies; once a checkpoint has caught up, the next commit starts the WAL over from its
 * beginning, so the file stays about one interval's worth of pages. The request connection keeps
 * an automatic checkpoint as a backstop (`BACKSTOP_PAGES`, far above what one interval writes),
 * used only if the worker falls behind; if the worker fails (or one of its checkpoints does), it
 * stops, the backstop goes back to SQLite's 1,000 pages and the failure is reported. Durability is
 * unchanged: commits are written to the WAL as before (a `kill -9` loses nothing committed), and
 * the checkpoint syncs exactly as SQLite's own.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The request connection's own automatic checkpoint while the worker runs (pages of the WAL, 4 KiB each: 64 MiB). */
export const BACKSTOP_PAGES = 16_384;
/** SQLite's default, restored when the worker is gone. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 200;

/** What `PRAGMA wal_checkpoint` answers: busy (1 if it could not complete), frames in the WAL, frames copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface WalCheckpointer {
  /** Runs one checkpoint now, on the worker (tests; the timer runs them otherwise). */
  checkpointNow(): Promise<CheckpointResult>;
  /** Stops the timer and closes the worker's connection. */
  close(): Promise<void>;
}

/** The request connection, as far as the checkpointer needs it (a better-sqlite3 handle). */
export interface PragmaTarget {
  pragma(source: string): unknown;
}

type Reply = { id: number; result: CheckpointResult } | { id: number; error: string } | { timerError: string };

// Plain JavaScript run with `eval: true`: the same code from dist and from the TypeScript sources
// (tests), with no loader for a worker file. The driver's path comes from the parent's resolution.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const timer = setInterval(() => {
  try {
    checkpoint();
  } catch (err) {
    clearInterval(timer);
    parentPort.postMessage({ timerError: String(err && err.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m.close) {
    clearInterval(timer);
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: m.id, result: checkpoint() });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message) });
  }
});
`;

function describe(thrown: unknown): string {
  if (thrown && typeof thrown === 'object') {
    const { code, message } = thrown as { code?: unknown; message?: unknown };
    return [code, message].filter((v) => typeof v === 'string' && v).join(' ') || 'unknown error';
  }
  return String(thrown);
}

/**
 * Starts the worker for the database `file`, whose request connection is `conn`; `onError` hears
 * of a worker that failed (its checkpoints then run on `conn` again, as SQLite's default).
 */
export function startWalCheckpointer(file: string, conn: PragmaTarget, opts: { intervalMs?: number; onError?: (err: Error) => void } = {}): WalCheckpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driverPath, file, intervalMs: opts.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS } });
  const pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closing = false;
  let gone = false;
  const fail = (thrown: unknown) => {
    if (gone) return;
    // An error thrown in the worker arrives structured-cloned: a SqliteError as a bare { code }.
    const err = thrown instanceof Error && thrown.message ? thrown : new Error(`the WAL checkpoint worker failed: ${describe(thrown)}`);
    gone = true;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    if (closing) return;
    // Without the worker the request connection checkpoints again, as SQLite does by default.
    conn.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    opts.onError?.(err);
  };
  worker.on('message', (reply: Reply) => {
    if ('timerError' in reply) {
      // A checkpoint that fails once is not retried here: the request connection takes them over.
      fail(new Error(`WAL checkpoint failed: ${reply.timerError}`));
      void worker.terminate();
      return;
    }
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(`WAL checkpoint failed: ${reply.error}`));
    else p.resolve(reply.result);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the WAL checkpoint worker exited (${code})`)));
  // The worker never keeps the process alive: a CLI command or test ends when its own work does.
  worker.unref();
  conn.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  return {
    checkpointNow() {
      if (gone) return Promise.reject(new Error('the WAL checkpoint worker is not running'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id });
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      if (gone) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ close: true });
      // A worker that does not close its connection in time is stopped (its connection then closes with it).
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
