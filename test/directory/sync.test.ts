/** The scheduled sync: runs at start and on the interval, never overlaps, survives failures. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { startDirectorySync } from '../../src/directory/sync.js';
import type { ImportSummary } from '../../src/directory/import-users.js';
import { MemoryDirectory, makeUser } from '../support/ldap-memory-directory.js';
import { captureLogger } from '../support/ldap-log.js';

let store: Store;
beforeEach(async () => {
  store = await openStore({ driver: 'sqlite', file: ':memory:' });
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
});

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setImmediate(r));
  expect(pred()).toBe(true);
}

describe('startDirectorySync', () => {
  it('imports at start and again after each interval, logging a summary line', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log = captureLogger();
    const dir = new MemoryDirectory([makeUser(1)]);
    const runs: ImportSummary[] = [];
    const stop = startDirectorySync({ directory: dir, db: store.db, intervalMs: 3_600_000, logger: log.logger, onRun: (s) => runs.push(s) });
    await vi.advanceTimersByTimeAsync(0);
    await until(() => runs.length === 1);
    expect(runs[0]).toMatchObject({ added: 1 });
    expect(log.messages()).toContain('directory sync: 1 added, 0 updated, 0 disabled, 0 unchanged, 0 errors');
    dir.users.push(makeUser(2));
    await vi.advanceTimersByTimeAsync(3_599_000);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => runs.length === 2);
    expect(runs[1]).toMatchObject({ added: 1, unchanged: 1 });
    await stop();
  });

  it('never overlaps a slow run with the next one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const dir = new MemoryDirectory([makeUser(1)]);
    let release!: () => void;
    dir.gate = new Promise<void>((r) => (release = r));
    const stop = startDirectorySync({ directory: dir, db: store.db, intervalMs: 60_000, logger: captureLogger().logger });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(dir.listCalls).toBe(1);
    release();
    dir.gate = undefined;
    await until(() => true);
    await vi.advanceTimersByTimeAsync(60_000);
    await until(() => dir.listCalls === 2);
    await stop();
  });

  it('logs a failed run and carries on at the next interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log = captureLogger();
    const dir = new MemoryDirectory([makeUser(1), makeUser(2)]);
    dir.failAfter = 1;
    const runs: ImportSummary[] = [];
    const stop = startDirectorySync({ directory: dir, db: store.db, intervalMs: 60_000, logger: log.logger, onRun: (s) => runs.push(s) });
    await vi.advanceTimersByTimeAsync(0);
    await until(() => log.messages().includes('directory sync failed; retrying at the next interval'));
    dir.failAfter = undefined;
    await vi.advanceTimersByTimeAsync(60_000);
    await until(() => runs.length === 1);
    expect(runs[0]).toMatchObject({ added: 2 });
    await stop();
  });

  it('stops: no run after stop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const dir = new MemoryDirectory([makeUser(1)]);
    const stop = startDirectorySync({ directory: dir, db: store.db, intervalMs: 60_000, logger: captureLogger().logger });
    await vi.advanceTimersByTimeAsync(0);
    await until(() => dir.listCalls === 1);
    await stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(dir.listCalls).toBe(1);
  });
});
