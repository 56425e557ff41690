/**
 * `server.workers: 2` the way an operator runs it: the built `factorgate start`, two worker
 * processes on one port, on SQLite and on PostgreSQL. A full SAML sign-in (AuthnRequest, /login,
 * TOTP enrolment, the signed Response node-saml accepts) whose requests land on both workers;
 * /metrics answering the sum over the workers; a worker killed with SIGKILL while requests are in
 * flight (the other worker's in-flight requests finish, the dead one is replaced); SIGHUP replacing
 * the workers one by one without dropping an in-flight request; SIGTERM draining them all.
 */
import { rmSync } from 'node:fs';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../../src/otp/index.js';
import { makeTempDir } from '../../support/host-harness.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { postedForm, rpConfig, spIdentity, type PostedForm } from '../../adapters/saml-idp/support.js';
import { FreshConnectionBrowser, freshRequest, holdRequest, ownerOf, startCluster, type RunningCluster } from './support.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const rp = spIdentity('cluster-rp');

function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page: ${html.slice(0, 400)}`);
  return m[1]!;
}

/** /login, TOTP enrolment and the challenge, each request on a new connection; returns the page that posts the SAML response. */
async function signIn(b: FreshConnectionBrowser, startPath: string): Promise<PostedForm> {
  let res = await b.request(startPath);
  let here = startPath;
  for (let hop = 0; hop < 12; hop++) {
    if (res.status === 302 || res.status === 303) {
      here = String(res.headers.location);
      res = await b.request(here);
      continue;
    }
    if (res.status !== 200) throw new Error(`${res.status} at ${here}: ${res.body.slice(0, 600)}`);
    // The challenge's POST may answer with the adapter's hand-back directly.
    if (res.body.includes('name="SAMLResponse"')) return postedForm(res.body);
    if (here.startsWith('/login')) {
      res = await b.request('/login', { form: { _csrf: field(res.body, '_csrf'), username: 'alice', password: 'alice-password-1', l: field(res.body, 'l') } });
      continue;
    }
    if (here.startsWith('/mfa/')) {
      const shown = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(res.body)?.[1];
      if (!shown) throw new Error(`no TOTP enrolment on the challenge page: ${res.body.slice(0, 400)}`);
      const secret = decodeBase32(shown.replace(/ /g, ''));
      if (!secret.ok) throw new Error('bad secret on the page');
      res = await b.request(here, { form: { _csrf: field(res.body, '_csrf'), method: field(res.body, 'method'), code: generateTotp(secret.bytes, systemClock.now()) } });
      continue;
    }
    throw new Error(`unexpected page at ${here}: ${res.body.slice(0, 400)}`);
  }
  throw new Error('too many hops');
}

function sampleSum(text: string, metric: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe.each(['sqlite', 'postgres'] as const)('two workers on %s', (driver) => {
  let dir: string;
  let pg: TestPostgres | undefined;
  let fg: RunningCluster;

  beforeAll(async () => {
    dir = makeTempDir('fg-cluster-');
    if (driver === 'postgres') pg = await startPostgres();
    fg = await startCluster(dir, {
      workers: 2,
      ...(pg ? { store: { driver: 'postgres', url: pg.url, poolSize: 4 } } : {}),
      extra: { adapters: { samlIdp: { relyingParties: [rpConfig(rp)] } } },
    });
  }, 120_000);
  afterAll(async () => {
    await fg?.stop('SIGKILL');
    for (const pid of fg?.workerPids() ?? []) process.kill(pid, 'SIGKILL');
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the number of workers in the banner; the primary serves no request', async () => {
    expect(fg.stderr()).toMatch(/workers: +2 processes on one port \(pids \d+, \d+;/);
    expect(fg.workerPids()).toHaveLength(2);
    // The primary serves nothing itself: the workers' access lines carry their own pids.
    const primary = fg.child.pid!;
    await fg.waitForLog((l) => l.pid === primary && l.msg === '2 workers listening');
    expect(fg.logs().some((l) => l.pid === primary && l.msg === 'request completed')).toBe(false);
  });

  it('completes a SAML sign-in whose requests land on both workers', async () => {
    const metadata = await freshRequest(`${fg.url}/saml/idp/metadata`);
    const idpCert = /<ds:X509Certificate>([^<]+)</.exec(metadata.body)?.[1];
    expect(idpCert).toBeDefined();
    const sp = new SAML({
      entryPoint: `${fg.url}/saml/idp/sso`,
      issuer: rp.entityId,
      audience: rp.entityId,
      callbackUrl: rp.acs,
      idpIssuer: `${fg.url}/saml/idp/metadata`,
      idpCert: idpCert!,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      validateInResponseTo: ValidateInResponseTo.always,
      disableRequestedAuthnContext: true,
      identifierFormat: null,
    });
    const start = new URL(await sp.getAuthorizeUrlAsync('rs-cluster', undefined, {}));
    const b = new FreshConnectionBrowser(fg.url);
    const form = await signIn(b, start.pathname + start.search);
    expect(form.action).toBe(rp.acs);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    expect(profile?.nameID).toBe('alice');
    expect(Buffer.from(form.fields.SAMLResponse!, 'base64').toString()).toContain(`<saml:AuthnContextClassRef>${MFA}</saml:AuthnContextClassRef>`);
    // Proof that the challenge, session and request state crossed processes: the steps were
    // served by both workers (each access line carries the worker's pid and the request id).
    const servedBy = await Promise.all(b.requestIds.map((id) => fg.servedBy(id)));
    expect(new Set(servedBy)).toEqual(new Set(fg.workerPids()));
  }, 60_000);

  it('answers /metrics with the sum over the workers', async () => {
    const before = (await freshRequest(`${fg.url}/metrics`)).body;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await freshRequest(`${fg.url}/login`)).requestId);
    const pids = await Promise.all(ids.map((id) => fg.servedBy(id)));
    expect(new Set(pids).size).toBe(2);
    const after = (await freshRequest(`${fg.url}/metrics`)).body;
    const count = (t: string) => sampleSum(t, 'factorgate_http_request_duration_seconds_count', 'route="/login",status="2xx"');
    // Each worker counted only its own share; the scrape, whichever worker took it, has all ten.
    expect(count(after) - count(before)).toBe(10);
    expect(after).toMatch(/^factorgate_workers_reporting 2$/m);
  }, 60_000);

  it('replaces a worker killed with SIGKILL; the other worker finishes its in-flight requests', async () => {
    const [victim, survivor] = fg.workerPids() as [number, number];
    // Requests in flight: each held connection is attributed to the worker holding its socket.
    const held = [];
    for (let i = 0; i < 6; i++) held.push(await holdRequest(fg.port, '/login'));
    const owners = await Promise.all(held.map((h) => ownerOf(fg.port, h, [victim, survivor])));
    expect(owners).toContain(victim);
    expect(owners).toContain(survivor);

    // A stream of requests, four at a time, before, during and after the kill.
    let streaming = true;
    const results: { startedAt: number; endedAt: number; ok: boolean }[] = [];
    const loops = Array.from({ length: 4 }, async () => {
      while (streaming) {
        const startedAt = systemClock.now();
        // A connection node:cluster was handing to the victim as it died is neither served nor
        // reset (the primary's round-robin keeps it): the client's own timeout ends it.
        const ok = await freshRequest(`${fg.url}/login`, { timeoutMs: 3_000 }).then((r) => r.status === 200, () => false);
        results.push({ startedAt, endedAt: systemClock.now(), ok });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = systemClock.now();
    process.kill(victim, 'SIGKILL');
    const died = await fg.waitForLog((l) => l.msg?.startsWith('worker died') === true && l.workerPid === victim);
    await fg.waitForLog((l) => l.msg === 'worker replaced' && l.time >= died.time);
    const statuses = await Promise.all(held.map((h) => h.finish()));
    await new Promise((r) => setTimeout(r, 300));
    streaming = false;
    await Promise.all(loops);

    statuses.forEach((status, i) => {
      // The survivor answers every request it held (403: no CSRF cookie); the victim's died with it.
      if (owners[i] === survivor) expect(status).toBe('403');
      else expect(status).toBeNull();
    });
    // Only requests in flight at the kill, or sent before the primary saw the death, may have
    // failed (those the victim held); everything before and after was answered.
    const settled = results.filter((r) => r.endedAt < killedAt || r.startedAt > died.time);
    expect(settled.filter((r) => !r.ok)).toEqual([]);
    expect(results.filter((r) => r.startedAt > died.time).length).toBeGreaterThan(0);
    const now = fg.workerPids();
    expect(now).toHaveLength(2);
    expect(now).toContain(survivor);
    expect(now).not.toContain(victim);
    // The replacement serves.
    const replacement = now.find((p) => p !== survivor)!;
    const served = new Set<number>();
    for (let i = 0; i < 6 && !served.has(replacement); i++) served.add(await fg.servedBy((await freshRequest(`${fg.url}/login`)).requestId));
    expect(served).toContain(replacement);
  }, 90_000);

  it('restarts the workers one by one on SIGHUP without dropping an in-flight request', async () => {
    const old = fg.workerPids();
    const held = [await holdRequest(fg.port, '/login'), await holdRequest(fg.port, '/login')];
    const owners = await Promise.all(held.map((h) => ownerOf(fg.port, h, old)));
    expect(new Set(owners).size).toBe(2);
    const mark = systemClock.now();
    process.kill(fg.child.pid!, 'SIGHUP');
    // The first old worker drains only once its replacement listens; it waits for its request.
    await fg.waitForLog((l) => l.msg === 'worker draining' && l.time >= mark && old.includes(l.pid));
    expect(await Promise.all(held.map((h) => h.finish()))).toEqual(['403', '403']);
    await fg.waitForLog((l) => l.msg === 'rolling restart done' && l.time >= mark);
    const now = fg.workerPids();
    expect(now).toHaveLength(2);
    expect(now.filter((p) => old.includes(p))).toEqual([]);
    expect((await freshRequest(`${fg.url}/login`)).status).toBe(200);
  }, 90_000);

  it('drains every worker on SIGTERM: in-flight requests finish, then the primary exits 0', async () => {
    const pids = fg.workerPids();
    const held = [await holdRequest(fg.port, '/login'), await holdRequest(fg.port, '/login')];
    expect(new Set(await Promise.all(held.map((h) => ownerOf(fg.port, h, pids)))).size).toBe(2);
    const mark = systemClock.now();
    const exit = fg.stop('SIGTERM');
    for (const pid of pids) await fg.waitForLog((l) => l.msg === 'worker draining' && l.pid === pid && l.time >= mark);
    expect(await Promise.all(held.map((h) => h.finish()))).toEqual(['403', '403']);
    expect(await exit).toBe(0);
    expect(fg.workerPids()).toEqual([]);
    expect(fg.logs().some((l) => l.msg === 'all workers stopped')).toBe(true);
  }, 60_000);
});
