/**
 * The store unreachable: PostgreSQL stopped under a running host, or the SQLite file locked by
 * another process past its busy timeout. Every request that needs the store answers 503 with
 * the "temporarily unavailable" page (no stack, no 500), the outage is logged once per
 * interval, not once per request, and /readyz fails because it proves a write. A lock shorter
 * than the busy timeout is waited for, by transactions too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { TestBrowser } from '../support/http-client.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

/** Another process holding SQLite's write lock (BEGIN IMMEDIATE) for `ms`, then committing. */
async function holdWriteLock(file: string, ms: number): Promise<ChildProcess> {
  const script = `
    const SQLite = require(${JSON.stringify(join(process.cwd(), 'node_modules/better-sqlite3'))});
    const db = new SQLite(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    db.prepare("insert or replace into kv(key, value, updated_at) values ('lock-holder', 'x', 0)").run();
    process.stdout.write('held\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

const OUTAGE_LINE = 'the store is unavailable: requests answer 503';
type LogLine = { level: number; msg: string; refusedSinceLastLine?: number; err?: unknown };
const parse = (h: RunningHost): LogLine[] => h.logs.map((l) => JSON.parse(l) as LogLine);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function expectUnavailablePage(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('30');
  const body = await res.text();
  expect(body).toContain('The service is temporarily unavailable. Try again in a few minutes.');
  expect(body).not.toMatch(/at .*\.(ts|js):\d+|SQLITE_|ECONNREFUSED|node_modules/);
}

describe('PostgreSQL down under a running host', () => {
  let pg: TestPostgres | undefined;

  it('answers 503 with the unavailable page, logs the outage once per interval, and /readyz fails', async () => {
    pg = await startPostgres();
    const h = await startHost({ config: { store: { driver: 'postgres', url: pg.url, poolSize: 2 } } });
    cleanup.push(() => h.close());
    const browser = new TestBrowser(h.url);
    const { csrf } = await browser.form('/login');
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    await pg.stop();
    pg = undefined;

    const before = h.logs.length;
    for (let i = 0; i < 5; i++) {
      await expectUnavailablePage(await browser.post('/login', { _csrf: csrf, username: 'alice', password: 'alice-password-1' }));
    }
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.store).toBe('STORE_UNAVAILABLE');

    const lines = parse(h).slice(before);
    // One line for the whole outage so far (the interval is 60 s), none per request.
    expect(lines.filter((l) => l.msg === OUTAGE_LINE)).toHaveLength(1);
    expect(lines.filter((l) => l.level >= 50 && l.msg !== OUTAGE_LINE)).toEqual([]);
    expect(lines.filter((l) => /request errored|unexpected error/.test(l.msg))).toEqual([]);
  });

  afterEach(async () => {
    await pg?.stop();
    pg = undefined;
  });
});

describe('SQLite locked by another process', () => {
  it('waits for a lock shorter than the busy timeout, in a transaction too (a deferred one failed at once)', async () => {
    const h = await startHost();
    cleanup.push(() => h.close());
    const holder = await holdWriteLock(join(h.dir, 'data', 'factorgate.db'), 1500);
    cleanup.push(() => void holder.kill());
    // upsertFromDirectory reads, then writes, in one transaction.
    const user = await h.host.api.users.upsertFromDirectory({ externalId: 'e-wait', username: 'waiter', disabled: false }, 'file');
    expect(user.username).toBe('waiter');
  });

  it('answers 503 past the busy timeout, with one outage line, and /readyz fails (its probe writes)', async () => {
    const h = await startHost();
    cleanup.push(() => h.close());
    const browser = new TestBrowser(h.url);
    const { csrf } = await browser.form('/login');
    const holder = await holdWriteLock(join(h.dir, 'data', 'factorgate.db'), 60_000);
    cleanup.push(() => void holder.kill());

    const before = h.logs.length;
    await expectUnavailablePage(await browser.post('/login', { _csrf: csrf, username: 'alice', password: 'alice-password-1' }));
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.store).toBe('STORE_UNAVAILABLE');
    const lines = parse(h).slice(before);
    expect(lines.filter((l) => l.msg === OUTAGE_LINE)).toHaveLength(1);
    expect(lines.filter((l) => l.level >= 50 && l.msg !== OUTAGE_LINE)).toEqual([]);

    holder.kill();
    await new Promise((r) => holder.once('exit', r));
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  }, 60_000);
});
