import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { slapdDirectoryConfig } from '../support/ldap-directory-config.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { TestBrowser } from '../support/http-client.js';
import { main } from '../../src/cli/main.js';

describe('a host whose directory is OpenLDAP', () => {
  let slapd: Slapd;
  let h: RunningHost;
  beforeAll(async () => {
    slapd = await startSlapd({ users: 20 });
    h = await startHost({ config: { directory: slapdDirectoryConfig(slapd) } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await slapd?.destroy();
  });

  const member = () => slapd.fixture.users.find((u) => u.inMfaGroup && !u.disabled)!;

  async function login(username: string, password: string): Promise<Response> {
    const b = new TestBrowser(h.url);
    const { csrf } = await b.form('/login');
    return b.post('/login', { username, password, _csrf: csrf });
  }

  it('signs a group member in and leads to the challenge', async () => {
    const u = member();
    const res = await login(u.uid, u.password);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/mfa\//);
    expect(await h.host.api.users.findByUsername(u.uid)).toMatchObject({ givenName: u.givenName, surname: u.surname });
  });

  it('shows a clear 503 page, fails /readyz and audits when the directory is down, then recovers', async () => {
    const u = member();
    await slapd.stop();
    try {
      const res = await login(u.uid, u.password);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('The user directory cannot be reached right now.');
      const ready = await fetch(`${h.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.directory).toBe('DIRECTORY_UNAVAILABLE');
      const audit = await h.host.api.store.db.selectFrom('audit_events').selectAll().where('deny_reason', '=', 'DIRECTORY_UNAVAILABLE').execute();
      expect(audit.length).toBeGreaterThan(0);
      expect(audit[0]).toMatchObject({ event: 'primary', result: 'failure', username: u.uid });
    } finally {
      await slapd.start();
    }
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    expect((await login(u.uid, u.password)).status).toBe(303);
  });

  it('imports users with `factorgate users import`', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const code = await main(['users', 'import', '--config', join(h.dir, 'factorgate.yaml')], {
      stdout: out as unknown as NodeJS.WriteStream,
      stderr: out as unknown as NodeJS.WriteStream,
      stdin: process.stdin,
      env: {},
    });
    expect(code).toBe(0);
    const members = slapd.fixture.users.filter((u) => u.inMfaGroup).length;
    expect(text).toMatch(new RegExp(`${members} (seen|users)`));
    const count = await h.host.api.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'ldap').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(members);
  });
});
