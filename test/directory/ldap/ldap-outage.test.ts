/**
 * Outages against real slapd processes: a server killed mid-run, restarted, a second server
 * taking over, a server that hangs, and a listing cut off by an outage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, freePort, type Slapd } from '../../support/slapd.js';
import { captureLogger } from '../../support/ldap-log.js';
import { slapdDirectory } from '../../support/ldap-directory-config.js';
import { isFactorgateError } from '../../../src/kit/errors.js';
import { ManualClock } from '../../../src/kit/clock.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { ldapDirectoryConfigSchema } from '../../../src/directory/ldap/config.js';
import { slapdDirectoryConfig } from '../../support/ldap-directory-config.js';
import type { FixtureUser } from '../../support/ldap-fixture.js';

let a: Slapd;
let b: Slapd;

const active = (s: Slapd): FixtureUser => s.fixture.users.find((u) => u.index > 20 && u.inMfaGroup && !u.disabled)!;

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isFactorgateError(err) ? err.code : err === undefined ? undefined : String(err);
}

beforeAll(async () => {
  [a, b] = await Promise.all([startSlapd({ users: 2000 }), startSlapd({ users: 2000 })]);
});

afterAll(async () => {
  await Promise.all([a?.destroy(), b?.destroy()]);
});

describe('LdapDirectory when servers go away', () => {
  it('throws DIRECTORY_UNAVAILABLE (503) once the only server is stopped, logs it once, and recovers after restart', async () => {
    const log = captureLogger();
    const dir = slapdDirectory(a, {}, log.logger);
    const u = active(a);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);

    await a.stop();
    const err = await dir.authenticate(u.uid, u.password).catch((e: unknown) => e);
    expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(isFactorgateError(err) && err.status).toBe(503);
    expect(await codeOf(dir.ping())).toBe('DIRECTORY_UNAVAILABLE');
    expect(await codeOf(dir.find(u.uid))).toBe('DIRECTORY_UNAVAILABLE');
    expect(log.messages().filter((m) => m === 'directory unavailable')).toHaveLength(1);

    await a.start();
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    await expect(dir.ping()).resolves.toBeUndefined();
    expect(log.messages()).toContain('directory reachable again');
    expect(log.text()).not.toContain(u.password);
    await dir.close();
  });

  it('fails over to the second server when the first does not answer, in order', async () => {
    const log = captureLogger();
    const dead = `ldap://127.0.0.1:${await freePort()}`;
    const dir = slapdDirectory(a, { urls: [dead, a.url] }, log.logger);
    const u = active(a);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    expect(log.records.find((r) => r['msg'] === 'using a fallback directory server')).toMatchObject({ url: a.url });
    await dir.close();
  });

  it('keeps signing users in when the server in use is killed mid-run, and returns to it after restart', async () => {
    const log = captureLogger();
    const dir = slapdDirectory(a, { urls: [a.url, b.url] }, log.logger);
    const u = active(a);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    await a.stop();
    // Same fixture on both servers: the same objectGUID identifies the user on either.
    const viaB = await dir.authenticate(u.uid, u.password);
    expect(viaB.ok).toBe(true);
    expect(log.records.find((r) => r['msg'] === 'using a fallback directory server')).toMatchObject({ url: b.url });
    await a.start();
    await b.stop();
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    await b.start();
    await dir.close();
  });

  it('goes back to the first server once it answers again, after retryPrimaryMs', async () => {
    const clock = new ManualClock();
    const log = captureLogger();
    const config = ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(a, { urls: [a.url, b.url], timeouts: { connectMs: 1000, operationMs: 5000, retryPrimaryMs: 60_000 } }));
    const dir = LdapDirectory.fromConfig(config, { logger: log.logger, clock });
    const u = active(a);
    await a.stop();
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    expect(dir.server).toBe(b.url);
    await a.start();
    clock.advance(30_000);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    expect(dir.server).toBe(b.url);
    clock.advance(30_000);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    expect(dir.server).toBe(a.url);
    expect(log.messages()).toContain('trying the preferred directory servers again');
    await dir.close();
  });

  it('moves on to the next server when one hangs (operation timeout)', async () => {
    const dir = slapdDirectory(a, { urls: [a.url, b.url], timeouts: { connectMs: 500, operationMs: 700 } });
    const u = active(a);
    expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
    // SIGSTOP: the port still accepts connections, but nothing answers.
    const slapdPid = a.pid!;
    process.kill(slapdPid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      expect((await dir.authenticate(u.uid, u.password)).ok).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      process.kill(slapdPid, 'SIGCONT');
    }
    await dir.close();
  });

  it('ends a listing cut off by an outage with DIRECTORY_UNAVAILABLE instead of a short list', async () => {
    const dir = slapdDirectory(a, { urls: [a.url, b.url] });
    let n = 0;
    const err = await (async () => {
      for await (const _ of dir.list({ pageSize: 100 })) {
        n++;
        if (n === 150) await a.stop();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeDefined();
    expect(isFactorgateError(err) && err.code, String(err)).toBe('DIRECTORY_UNAVAILABLE');
    expect(n).toBeLessThan(a.fixture.users.filter((x) => x.inMfaGroup).length);
    await a.start();
    await dir.close();
  });
});
