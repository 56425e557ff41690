/**
 * Issue 16 item 1 at `/login`, on a real host (file directory with real scrypt hashes, SQLite):
 * per account and per client, refused before the directory is asked, neutral "wait" message,
 * growing bans, audit and log, shared by two hosts, exact under parallel tries, and bounded
 * password checks answering 503 when the queue wait runs out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import type { Directory } from '../../src/directory/directory.js';
import { makeTempDir, startHost, type HarnessOptions, type RunningHost } from '../support/host-harness.js';
import { TestBrowser } from '../support/http-client.js';
import { freePort } from '../support/free-port.js';

let hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

/** The configured directory, counting the passwords that reach it (and optionally holding them). */
function counting(calls: string[], hold?: { until: Promise<void> }) {
  return (d: Directory): Directory => ({
    get kind() {
      return d.kind;
    },
    authenticate: async (u, p) => {
      calls.push(u);
      if (hold) await hold.until;
      return d.authenticate(u, p);
    },
    find: (u) => d.find(u),
    list: (o) => d.list(o),
    ping: () => d.ping(),
    close: () => d.close(),
  });
}

async function host(options: HarnessOptions & { calls?: string[] } = {}) {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h = await startHost({ ...options, clock, ...(options.calls ? { wrapDirectory: counting(options.calls) } : {}) });
  hosts.push(h);
  return { h, clock };
}

async function login(url: string, username: string, password: string, headers: Record<string, string> = {}) {
  const b = new TestBrowser(url);
  const { csrf } = await b.form('/login');
  const res = await b.post('/login', { username, password, _csrf: csrf }, headers);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

async function auditRows(h: RunningHost) {
  return h.host.api.store.db.selectFrom('audit_events').selectAll().orderBy('ts').execute();
}

const WAIT = 'Too many sign-in attempts. Wait a few minutes, then try again.';

describe('regulation of /login', () => {
  it('refuses an account after 5 wrong passwords, before the directory is asked, until the ban ends; the right password then works', async () => {
    const calls: string[] = [];
    const { h, clock } = await host({ calls });
    for (let i = 0; i < 5; i++) expect((await login(h.url, 'alice', `wrong-${i}`)).status).toBe(401);
    expect(calls).toHaveLength(5);

    const refused = await login(h.url, 'alice', 'alice-password-1');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('300');
    expect(refused.body).toContain(WAIT);
    expect(refused.body).not.toContain('incorrect');
    expect(calls).toHaveLength(5); // no hash computed for the refused try
    // Other spellings of the same account share its count.
    for (const name of ['ALICE', ' alice ', 'CORP\\alice', 'alice@corp.example']) expect((await login(h.url, name, 'x')).status).toBe(429);
    expect(calls).toHaveLength(5);

    const rows = await auditRows(h);
    const limited = rows.filter((r) => r.deny_reason === 'RATE_LIMITED');
    expect(limited).toHaveLength(5);
    expect(limited[0]).toMatchObject({ event: 'primary', result: 'denied', username: 'alice', method: 'password', client_ip: '127.0.0.1' });
    expect(limited[0]!.detail).toMatch(/^account refused until 2026-03-01T09:05:00/);
    expect(h.logs.some((l) => l.includes('RATE_LIMITED') && l.includes('"subject":"account"'))).toBe(true);
    expect(h.logs.some((l) => l.includes('alice-password-1') || l.includes('wrong-0'))).toBe(false);

    clock.advance(5 * 60_000);
    expect((await login(h.url, 'alice', 'alice-password-1')).status).toBe(303);
    // Another account from the same client was never held back by alice's ban.
    expect((await login(h.url, 'bob', 'bob-password-1')).status).toBe(303);
  });

  it('answers an unknown account exactly like a known one when refusing (no hint that it exists)', async () => {
    const { h } = await host();
    for (let i = 0; i < 5; i++) {
      await login(h.url, 'alice', 'wrong');
      await login(h.url, 'nobody-here', 'wrong');
    }
    const known = await login(h.url, 'alice', 'wrong');
    const unknown = await login(h.url, 'nobody-here', 'wrong');
    expect([known.status, unknown.status]).toEqual([429, 429]);
    expect(known.retryAfter).toBe(unknown.retryAfter);
    const strip = (b: string) => b.replace(/value="[^"]*"/g, '');
    expect(strip(known.body)).toBe(strip(unknown.body));
  });

  it('doubles the ban on repeat (5m, then 10m), and a right password ends the run of failures', async () => {
    const { h, clock } = await host();
    for (let i = 0; i < 4; i++) await login(h.url, 'alice', 'wrong');
    expect((await login(h.url, 'alice', 'alice-password-1')).status).toBe(303);
    // The success cleared the four: four more do not ban yet.
    for (let i = 0; i < 4; i++) expect((await login(h.url, 'alice', 'wrong')).status).toBe(401);
    expect((await login(h.url, 'alice', 'wrong')).status).toBe(401);
    expect((await login(h.url, 'alice', 'wrong')).retryAfter).toBe('300');
    clock.advance(5 * 60_000);
    for (let i = 0; i < 5; i++) expect((await login(h.url, 'alice', 'wrong')).status).toBe(401);
    const second = await login(h.url, 'alice', 'wrong');
    expect(second.status).toBe(429);
    expect(second.retryAfter).toBe('600');
  });

  it('refuses a client spraying many names (after server.trustedProxies), and only that client', async () => {
    const calls: string[] = [];
    const port = await freePort();
    const server = { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, trustedProxies: ['loopback'] };
    const { h } = await host({ calls, port, config: { server, regulation: { client: { maxFailures: 8 } } } });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 8; i++) expect((await login(h.url, `user${i}`, 'Winter2026!', from('203.0.113.7'))).status).toBe(401);
    const refused = await login(h.url, 'user99', 'Winter2026!', from('203.0.113.7'));
    expect(refused.status).toBe(429);
    expect(refused.body).toContain(WAIT);
    expect(calls).toHaveLength(8);
    // A forged X-Forwarded-For in front of the real one changes nothing: the trusted hop names the client.
    expect((await login(h.url, 'user98', 'x', { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' })).status).toBe(429);
    // Another client, and one in a different IPv6 /64, are not affected; the same /64 is.
    expect((await login(h.url, 'bob', 'bob-password-1', from('198.51.100.20'))).status).toBe(303);
    for (let i = 0; i < 8; i++) await login(h.url, `v6user${i}`, 'x', from('2001:db8:1:2::10'));
    expect((await login(h.url, 'v6user99', 'x', from('2001:db8:1:2:ffff::1'))).status).toBe(429);
    expect((await login(h.url, 'alice', 'alice-password-1', from('2001:db8:1:3::10'))).status).toBe(303);
    const limited = (await auditRows(h)).filter((r) => r.deny_reason === 'RATE_LIMITED');
    expect(limited.map((r) => r.client_ip)).toEqual(['203.0.113.7', '203.0.113.7', '2001:db8:1:2:ffff::1']);
    expect(limited.every((r) => r.detail!.startsWith('client refused until'))).toBe(true);
  });

  it('shares the counts between two hosts on one store', async () => {
    const dir = makeTempDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const { h: a } = await host({ dir, clock });
    const { h: b } = await host({ dir, clock });
    for (let i = 0; i < 3; i++) await login(a.url, 'alice', 'wrong');
    for (let i = 0; i < 2; i++) await login(b.url, 'alice', 'wrong');
    expect((await login(a.url, 'alice', 'alice-password-1')).status).toBe(429);
    expect((await login(b.url, 'alice', 'alice-password-1')).status).toBe(429);
  });

  it('lets exactly 5 of 30 parallel wrong passwords for one account reach the directory', async () => {
    const calls: string[] = [];
    const { h } = await host({ calls, config: { regulation: { passwordChecks: { maxInFlight: 4, queueWait: '30s' } } } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => login(h.url, 'alice', `wrong-${i}`)));
    expect(calls).toHaveLength(5);
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(25);
    expect((await auditRows(h)).filter((r) => r.deny_reason === 'RATE_LIMITED')).toHaveLength(25);
  });

  it('answers a user locked for second factors with a wrong password exactly like any wrong password', async () => {
    const { h, clock } = await host();
    expect((await login(h.url, 'alice', 'alice-password-1')).status).toBe(303);
    await h.host.api.store.db.updateTable('users').set({ failed_attempts: 5, locked_until: clock.now() + 15 * 60_000 }).where('username', '=', 'alice').execute();
    const locked = await login(h.url, 'alice', 'wrong');
    const other = await login(h.url, 'bob', 'wrong');
    const unknown = await login(h.url, 'nobody', 'wrong');
    expect([locked.status, other.status, unknown.status]).toEqual([401, 401, 401]);
    const strip = (b: string) => b.replace(/value="[^"]*"/g, '');
    expect(strip(locked.body)).toBe(strip(other.body));
    expect(strip(locked.body)).toBe(strip(unknown.body));
  });

  it('can be turned off (regulation.enabled: false)', async () => {
    const calls: string[] = [];
    const { h } = await host({ calls, config: { regulation: { enabled: false } } });
    for (let i = 0; i < 7; i++) expect((await login(h.url, 'alice', 'wrong')).status).toBe(401);
    expect(calls).toHaveLength(7);
  });
});

describe('bounded password checks', () => {
  it('runs at most maxInFlight checks; one that waits past queueWait gets the 503 page, audited BUSY and not counted', async () => {
    const calls: string[] = [];
    let open!: () => void;
    const hold = { until: new Promise<void>((r) => (open = r)) };
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const h = await startHost({ clock, wrapDirectory: counting(calls, hold), config: { regulation: { passwordChecks: { maxInFlight: 1, queueWait: '200ms' } } } });
    hosts.push(h);
    const first = login(h.url, 'alice', 'alice-password-1');
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    // The first check holds the only turn: the second waits 200 ms, then is refused.
    const second = await login(h.url, 'bob', 'bob-password-1');
    expect(second.status).toBe(503);
    expect(second.body).toContain('temporarily unavailable');
    expect(calls).toEqual(['alice']);
    open();
    expect((await first).status).toBe(303);
    const busy = (await auditRows(h)).filter((r) => r.deny_reason === 'BUSY');
    expect(busy).toMatchObject([{ username: 'bob', result: 'failure' }]);
    // The refused try was given back: bob still has his five.
    const counter = await h.host.api.store.db.selectFrom('regulation_counters').selectAll().where('key', '=', 'a:bob').executeTakeFirstOrThrow();
    expect(counter.failures).toBe(0);
    expect((await login(h.url, 'bob', 'bob-password-1')).status).toBe(303);
  });

  it('holds checks to the per-second budget: under it a wrong password gets the normal 401 and a right one signs in; over it the 503 page, a log line and a BUSY audit record, not counted', async () => {
    const calls: string[] = [];
    // Two checks now, the next one 10 s after: the third try finds no budget within its wait.
    const { h } = await host({ calls, config: { regulation: { passwordChecks: { perSecond: 0.1, burst: 2, queueWait: '100ms' } } } });
    const wrong = await login(h.url, 'alice', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('id="login-error"');
    expect((await login(h.url, 'alice', 'alice-password-1')).status).toBe(303);
    const over = await login(h.url, 'bob', 'bob-password-1');
    expect(over.status).toBe(503);
    expect(over.body).toContain('temporarily unavailable');
    expect(over.body).not.toMatch(/at .*\.(ts|js):\d+/); // no stack
    expect(calls).toEqual(['alice', 'alice']);
    expect(h.logs.some((l) => l.includes('BUSY') && l.includes('over the budget of 0.1/s'))).toBe(true);
    expect(h.logs.some((l) => l.includes('bob-password-1'))).toBe(false);
    const busy = (await auditRows(h)).filter((r) => r.deny_reason === 'BUSY');
    expect(busy).toMatchObject([{ username: 'bob', result: 'failure', client_ip: expect.any(String) }]);
    const counter = await h.host.api.store.db.selectFrom('regulation_counters').selectAll().where('key', '=', 'a:bob').executeTakeFirstOrThrow();
    expect(counter.failures).toBe(0);
  });
});
