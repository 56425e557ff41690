import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { BACKSTOP_PAGES, SQLITE_DEFAULT_AUTOCHECKPOINT, startWalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { makeTempDir } from '../support/host-harness.js';

const PAGE = 4096;

async function autocheckpoint(store: Store): Promise<number> {
  const r = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
  return r.rows[0]!.wal_autocheckpoint;
}

/** One committed row per call, as a request's audit record is (autocommit, no batching). */
async function writeRows(store: Store, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await store.db.insertInto('kv').values({ key: `row-${i}`, value: 'x'.repeat(200), updated_at: i }).execute();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WAL checkpoints on a worker thread (SQLite)', () => {
  it('the request connection no longer checkpoints every 1,000 pages; the worker keeps the WAL short and every row readable', async () => {
    const file = join(makeTempDir(), 'fg.db');
    const store = await openStore({ driver: 'sqlite', file, backgroundCheckpoints: true });
    try {
      expect(store.checkpointer).toBeDefined();
      expect(await autocheckpoint(store)).toBe(BACKSTOP_PAGES);
      // 8 rounds of 800 commits (each at least a table and an index page): ~13,000 WAL frames in all,
      // far beyond the 1,000 pages SQLite's own checkpoint would have started at.
      let largest = 0;
      for (let round = 0; round < 8; round++) {
        await writeRows(store, round * 800, 800);
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        // The worker's timer (200 ms) runs between rounds, as it runs between bursts of requests.
        await sleep(400);
      }
      const last = await store.checkpointer!.checkpointNow();
      expect(last.busy).toBe(0);
      expect(last.checkpointed).toBe(last.log);
      // The WAL restarted after each caught-up checkpoint: it never held more than about two rounds.
      const framesWritten = 8 * 800 * 2;
      expect(largest).toBeLessThan((framesWritten / 3) * PAGE);
      const count = await store.db.selectFrom('kv').select((eb) => eb.fn.countAll<number>().as('n')).where('key', 'like', 'row-%').executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(6400);
    } finally {
      await store.close();
    }
    // Closed cleanly (the worker's connection too): a fresh open reads every row from the database file.
    const again = await openStore({ driver: 'sqlite', file });
    const rows = await again.db.selectFrom('kv').select('key').where('key', 'like', 'row-%').execute();
    expect(rows).toHaveLength(6400);
    await again.close();
  });

  it('every acknowledged commit survives kill -9 of a process whose checkpoints run on the worker', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'fg.db');
    const storeModule = join(process.cwd(), 'src/store/store.ts');
    // The child writes one committed row at a time and prints each key once its commit returned;
    // it stops by itself after 30 s, so a parent that failed leaves no writer behind.
    const script = `
      const { openStore } = await import(${JSON.stringify(storeModule)});
      const store = await openStore({ driver: 'sqlite', file: ${JSON.stringify(file)}, backgroundCheckpoints: true });
      const until = Date.now() + 30000;
      for (let i = 0; Date.now() < until; i++) {
        await store.db.insertInto('kv').values({ key: 'k-' + i, value: 'x'.repeat(200), updated_at: i }).execute();
        // A full pipe queues the write until the event loop runs: wait for it, or the
        // acknowledgements would pile up unsent behind a loop that only runs microtasks.
        if (!process.stdout.write(i + '\\n')) await new Promise((r) => process.stdout.once('drain', r));
      }
      await store.close();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = -1;
    try {
      let buffered = '';
      let firstAt = 0;
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          if (lines.length) acknowledged = Number(lines[lines.length - 1]);
          firstAt ||= Date.now();
          // Past SQLite's own 1,000 pages and several of the worker's checkpoints (every 200 ms).
          if (acknowledged >= 3000 && Date.now() - firstAt >= 1000) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the writer exited before it was killed (${code}, ${acknowledged + 1} rows)`)));
      });
    } finally {
      const gone = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      child.kill('SIGKILL');
      await gone;
    }
    expect(existsSync(`${file}-wal`)).toBe(true);
    const store = await openStore({ driver: 'sqlite', file });
    try {
      const rows = await store.db.selectFrom('kv').select('key').where('key', 'like', 'k-%').execute();
      const keys = new Set(rows.map((r) => r.key));
      for (let i = 0; i <= acknowledged; i++) expect(keys.has(`k-${i}`)).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('a worker that fails is reported and the request connection checkpoints by itself again', async () => {
    const pragmas: string[] = [];
    const failed = new Promise<Error>((resolve) => {
      // No database at this path: the worker's connection cannot open.
      startWalCheckpointer(join(makeTempDir(), 'missing.db'), { pragma: (s) => pragmas.push(s) }, { onError: resolve });
    });
    const err = await failed;
    expect(err.message).toMatch(/SQLITE_CANTOPEN/);
    expect(pragmas).toEqual([`wal_autocheckpoint = ${BACKSTOP_PAGES}`, `wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`]);
  });

  it('is not started unless asked for: a store opened without it checkpoints as SQLite does', async () => {
    const store = await openStore({ driver: 'sqlite', file: join(makeTempDir(), 'fg.db') });
    expect(store.checkpointer).toBeUndefined();
    expect(await autocheckpoint(store)).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT);
    await store.close();
  });
});
