/**
 * The user binds' kept connections (src/directory/ldap/user-bind-pool.ts) against a real slapd:
 * one connection carries many users' binds and each bind's own answer decides, so a right
 * password before never helps a wrong one after; binds at once never share a connection; a
 * connection the server dropped, or one whose bind timed out, is never used again.
 */
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
