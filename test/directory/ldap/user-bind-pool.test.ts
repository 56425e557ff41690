/**
 * The user binds' kept connections (src/directory/ldap/user-bind-pool.ts) against a real slapd:
 * one connection carries many users' binds and each bind's own answer decides, so a right
 * password before never helps a wrong one after; binds at once never share a connection; a
 * connection the server dropped, or one whose bind timed out, is never used again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCredentialsError } from 'ldapts';
import { startSlapd, freePort, type Slapd } from '../../support/slapd.js';
import { slapdDirectory } from '../../support/ldap-directory-config.js';
import type { FixtureUser } from '../../support/ldap-fixture.js';
import { UserBindPool } from '../../../src/directory/ldap/user-bind-pool.js';
import { isTransportFailure, type ConnectionSettings } from '../../../src/directory/ldap/connection.js';

let slapd: Slapd;
let users: FixtureUser[];

const settings = (operationMs = 5000): ConnectionSettings => ({
  tls: { startTls: false, rejectUnauthorized: true },
  timeouts: { connectMs: 1000, operationMs },
});
const dnOf = (u: FixtureUser): string => u.dn;

/** Resolves 'ok', the LDAP result code of a refusal, or 'transport' for a failure to reach the server. */
async function outcome(p: Promise<void>): Promise<'ok' | number | 'transport'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isTransportFailure(err)) return 'transport';
    return (err as InvalidCredentialsError).code;
  }
}

/** Resolves once every thread of process `pid` is in the stopped state (`T` in /proc). */
async function everyThreadStopped(pid: number): Promise<void> {
  const stateOf = (tid: string): string => {
    try {
      // /proc/<pid>/task/<tid>/stat: "tid (comm) S ...": the state follows the closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return 'T'; // a thread that ended meanwhile stops nothing
    }
  };
  for (let i = 0; i < 400; i++) {
    if (readdirSync(`/proc/${pid}/task`).every((tid) => stateOf(tid) === 'T')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`slapd (${pid}) did not stop within 2 s of SIGSTOP`);
}

beforeAll(async () => {
  slapd = await startSlapd({ users: 60 });
  // The fixture gives every user one password; here each gets its own, so a bind with another
  // user's password is a wrong password.
  users = slapd.fixture.users.filter((u) => u.index > 20 && u.inMfaGroup && !u.disabled).slice(0, 20).map((u) => ({ ...u, password: `Own-${u.uid}-Passw0rd` }));
  for (const u of users) await slapd.setAttribute(u.dn, 'userPassword', [u.password]);
});

afterAll(async () => {
  await slapd?.destroy();
});

describe('UserBindPool against slapd', () => {
  it('runs binds of several users on one kept connection, each decided by its own answer', async () => {
    const pool = new UserBindPool(settings());
    const [a, b] = [users[0]!, users[1]!];
    expect(await outcome(pool.bind(slapd.url, dnOf(a), a.password))).toBe('ok');
    // The same connection, just bound as a: a's wrong password is refused (49) ...
    expect(await outcome(pool.bind(slapd.url, dnOf(a), 'wrong-password'))).toBe(49);
    // ... and so is b with a's password, and b with an empty one never reaches the server.
    expect(await outcome(pool.bind(slapd.url, dnOf(b), a.password))).toBe(49);
    await expect(pool.bind(slapd.url, dnOf(b), '')).rejects.toThrow(/unauthenticated bind/);
    expect(await outcome(pool.bind(slapd.url, dnOf(b), b.password))).toBe('ok');
    expect(await outcome(pool.bind(slapd.url, dnOf(a), b.password))).toBe(49);
    expect(pool.stats()).toEqual({ opened: 1, idle: 1 });
    await pool.close();
    expect(pool.stats().idle).toBe(0);
  });

  it('never sends an empty password, even to a server that is not there', async () => {
    const pool = new UserBindPool(settings());
    await expect(pool.bind(`ldap://127.0.0.1:${await freePort()}`, dnOf(users[0]!), '')).rejects.toThrow(/unauthenticated bind/);
    expect(pool.stats()).toEqual({ opened: 0, idle: 0 });
  });

  it('gives binds in flight a connection each, and every one gets its own answer', async () => {
    const pool = new UserBindPool(settings());
    // Twenty binds at once, every other one with the next user's password.
    const asked = users.map((u, i) => ({ dn: dnOf(u), password: i % 2 === 0 ? u.password : users[(i + 1) % users.length]!.password, right: i % 2 === 0 }));
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(asked.map((x) => outcome(pool.bind(slapd.url, x.dn, x.password))));
      expect(got).toEqual(asked.map((x) => (x.right ? 'ok' : 49)));
    }
    const { opened, idle } = pool.stats();
    // The first round opened one per bind; later rounds reuse the eight kept and open the rest.
    expect(opened).toBeGreaterThanOrEqual(20);
    expect(opened).toBeLessThanOrEqual(20 + 2 * 12);
    expect(idle).toBe(8);
    await pool.close();
  });

  it('opens a new connection when the server dropped the kept one, and still refuses a wrong password', async () => {
    const pool = new UserBindPool(settings());
    const u = users[2]!;
    expect(await outcome(pool.bind(slapd.url, dnOf(u), u.password))).toBe('ok');
    await slapd.stop();
    await slapd.start();
    expect(await outcome(pool.bind(slapd.url, dnOf(u), 'wrong-password'))).toBe(49);
    expect(await outcome(pool.bind(slapd.url, dnOf(u), u.password))).toBe('ok');
    expect(pool.stats()).toEqual({ opened: 2, idle: 1 });
    await pool.close();
  });

  it('closes a connection whose bind timed out instead of keeping it for the next bind', async () => {
    const pool = new UserBindPool(settings(700));
    const u = users[3]!;
    expect(await outcome(pool.bind(slapd.url, dnOf(u), u.password))).toBe('ok');
    const pid = slapd.pid!;
    process.kill(pid, 'SIGSTOP');
    // kill() returns before the signal is handled: a slapd thread running on the other core could
    // still answer the bind below. Wait until every thread of slapd is stopped.
    await everyThreadStopped(pid);
    let stalled: 'ok' | number | 'transport';
    try {
      stalled = await outcome(pool.bind(slapd.url, dnOf(u), 'wrong-password'));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(stalled).toBe('transport');
    expect(pool.stats()).toEqual({ opened: 1, idle: 0 });
    // slapd now answers the stalled bind too, on a connection nobody reads any more.
    expect(await outcome(pool.bind(slapd.url, dnOf(u), 'wrong-password'))).toBe(49);
    expect(await outcome(pool.bind(slapd.url, dnOf(u), u.password))).toBe('ok');
    expect(pool.stats()).toEqual({ opened: 2, idle: 1 });
    await pool.close();
  });
});

/**
 * A TCP relay to slapd whose `cutNextWrite()` makes the next bytes a client sends on an already
 * open connection end it with a reset instead of reaching slapd: a kept connection lost after the
 * bind was written. New connections relay as usual.
 */
async function startCuttingRelay(target: URL): Promise<{ url: string; cutNextWrite: () => void; close: () => Promise<void> }> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let established = false;
    client.on('data', (chunk) => {
      if (established && cut) {
        cut = false;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      established = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => (client.destroy(), upstream.destroy(), sockets.delete(s)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `ldap://127.0.0.1:${port}`,
    cutNextWrite: () => (cut = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('UserBindPool when a kept connection is lost with a bind on it', () => {
  it('does not send the password again on a new connection (the server may have counted it)', async () => {
    const relay = await startCuttingRelay(new URL(slapd.url));
    const pool = new UserBindPool(settings());
    const u = users[6]!;
    try {
      expect(await outcome(pool.bind(relay.url, dnOf(u), u.password))).toBe('ok');
      relay.cutNextWrite();
      // Written, then the connection reset: a transport failure for the caller (which moves on
      // to the next server), not a second bind of the same wrong password.
      expect(await outcome(pool.bind(relay.url, dnOf(u), 'wrong-password'))).toBe('transport');
      expect(pool.stats()).toEqual({ opened: 1, idle: 0 });
      // The next sign-in opens a new connection and is decided by its own answer.
      expect(await outcome(pool.bind(relay.url, dnOf(u), 'wrong-password'))).toBe(49);
      expect(pool.stats()).toEqual({ opened: 2, idle: 1 });
      await pool.close();
      await expect(pool.bind(relay.url, dnOf(u), u.password)).rejects.toThrow(/closed/);
      expect(pool.stats()).toEqual({ opened: 2, idle: 0 });
    } finally {
      await pool.close();
      await relay.close();
    }
  });
});

describe('LdapDirectory.authenticate on kept bind connections', () => {
  it('refuses a wrong password after a right one, an unknown user, and an empty password, on one connection', async () => {
    const dir = slapdDirectory(slapd);
    const [a, b] = [users[4]!, users[5]!];
    expect((await dir.authenticate(a.uid, a.password)).ok).toBe(true);
    expect(await dir.authenticate(a.uid, 'wrong-password')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.authenticate(b.uid, a.password)).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.authenticate('nobody-here', a.password)).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.authenticate(b.uid, '')).toEqual({ ok: false, reason: 'EMPTY_PASSWORD' });
    expect((await dir.authenticate(b.uid, b.password)).ok).toBe(true);
    expect(dir.userBindStats()).toEqual({ opened: 1, idle: 1 });
    await dir.close();
    expect(dir.userBindStats().idle).toBe(0);
  });
});
