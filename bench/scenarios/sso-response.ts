/**
 * SSO response for a signed-in session, over HTTP: a real factorgate host (`node dist/…/main.js
 * start`, its own process, file directory, logging at warn) with the SAML IdP adapter and one
 * relying party (inline entity ID, ACS and certificate; unsigned requests allowed; the assertion
 * signed, one RSA signature per response). One session cookie is obtained by signing in through
 * /login and the TOTP enrolment challenge; then N distinct HTTP-Redirect AuthnRequests (node-saml,
 * distinct IDs: the IdP refuses replays) are sent with bounded concurrency from this process with
 * that cookie, counting 200s whose page carries a SAMLResponse. Baseline: raw RSA-2048 SHA-256
 * signatures/s of `node:crypto` with a `KeyObject`, measured in this process in the same run.
 * Beside the wall ratio, `cpuRatio`: RSA CPU per signature (this process) ÷ the server's CPU per
 * response (/proc/<pid>/stat over the timed phase), which the load generator sharing the cores
 * disturbs far less.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SAML } from '@node-saml/node-saml';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/directory/password-hash.js';
import { generateSelfSigned } from '../../src/host/bootstrap/signing-keys.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { freePort } from '../../test/support/free-port.js';
import { TestBrowser } from '../../test/support/http-client.js';
import { stopServer } from '../support/stop-server.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { measureRsa, processCpuMs } from './cpu.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const USER = 'alice';
const PASSWORD = 'alice-bench-password-1';

export interface SamlHost {
  url: string;
  dir: string;
  sp: SAML;
  acs: string;
  /** The factorgate process id (to read its /proc/<pid>/status); with workers, the primary's. */
  pid: number;
  close(): Promise<void>;
}

/** Starts `factorgate start` in its own process with the SAML IdP and one relying party. */
export async function startSamlHost(
  opts: {
    users?: number;
    directory?: Record<string, unknown>;
    beforeStart?: (configPath: string) => Promise<void>;
    /** Node options of the server process, e.g. `--expose-gc`. */
    nodeArgs?: string[];
    /** `server.workers` (default 1: one process). */
    workers?: number;
  } = {},
): Promise<SamlHost> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-sso-'));
  let child: ChildProcess | undefined;
  try {
    const passwordHash = await hashPassword(PASSWORD);
    const users = [{ username: USER, email: 'alice@example.com', passwordHash }];
    for (let i = 0; i < (opts.users ?? 0); i++) users.push({ username: `user${i}`, email: `user${i}@example.com`, passwordHash });
    writeFileSync(join(dir, 'users.yaml'), stringify({ users }));
    const { certPem } = generateSelfSigned('bench-sp', join(dir, 'sp'));
    const entityId = 'https://bench-sp.example.test/sp';
    const acs = 'https://bench-sp.example.test/acs';
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const cfg = join(dir, 'factorgate.yaml');
    writeFileSync(
      cfg,
      stringify({
        dataDir: join(dir, 'data'),
        server: { port, host: '127.0.0.1', publicUrl: url, ...(opts.workers ? { workers: opts.workers } : {}) },
        logging: { level: 'warn' },
        directory: opts.directory ?? { type: 'file', path: 'users.yaml' },
        adapters: { samlIdp: { relyingParties: [{ name: 'bench', entityId, acs: [{ url: acs }], cert: certPem, sign: 'assertion', requireSignedRequests: false }] } },
      }),
    );
    await opts.beforeStart?.(cfg);
    let stderr = '';
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN, 'start', '--config', cfg], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const t0 = performance.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`factorgate exited ${proc.exitCode}: ${stderr.slice(0, 800)}`);
      try {
        // With workers the banner is printed once every worker listens.
        if ((opts.workers ?? 1) > 1 ? /workers: +\d+ processes/.test(stderr) : (await fetch(`${url}/readyz`)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - t0 > 30_000) throw new Error(`factorgate never became ready: ${stderr.slice(0, 800)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const sp = new SAML({
      entryPoint: `${url}/saml/idp/sso`,
      issuer: entityId,
      audience: entityId,
      callbackUrl: acs,
      idpCert: certPem, // not used: the bench never validates responses with node-saml
      disableRequestedAuthnContext: true,
      identifierFormat: null,
    });
    return {
      url,
      dir,
      sp,
      acs,
      pid: proc.pid!,
      async close() {
        await stopServer(proc);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Path + query of a fresh HTTP-Redirect AuthnRequest (a new ID each time). */
export async function authnRequestPath(sp: SAML): Promise<string> {
  const u = new URL(await sp.getAuthorizeUrlAsync('rs', undefined, {}));
  return u.pathname + u.search;
}

function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page: ${html.slice(0, 400)}`);
  return m[1]!;
}

/** Every bench user's password (they share one hash). */
export const BENCH_PASSWORD = PASSWORD;

/**
 * A browser from `startPath` through /login and the challenge to the page that posts the SAML
 * response. `state.secret` is the TOTP secret, read off the enrolment page the first time.
 * `state.lastCodeAt` keeps a second sign-in in the same 30 s step from re-using a step (refused as
 * a replay): it then uses the next step's code, which the default window of 1 accepts.
 */
export async function signInOnce(b: TestBrowser, startPath: string, state: { secret?: Buffer; lastCodeAt?: number }, username = USER, password = PASSWORD): Promise<string> {
  let res = await b.get(startPath);
  let here = startPath;
  for (let hop = 0; hop < 12; hop++) {
    if (res.status === 302 || res.status === 303) {
      here = res.headers.get('location')!;
      res = await b.get(here);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} at ${here}: ${html.slice(0, 600)}`);
    // The challenge POST answers with the page that posts the response itself (no resume hop).
    if (html.includes('name="SAMLResponse"')) return html;
    if (here.startsWith('/login')) {
      res = await b.post('/login', { _csrf: field(html, '_csrf'), username, password, ...(here.includes('l=') ? { l: field(html, 'l') } : {}) });
      here = '/login';
      continue;
    }
    if (here.startsWith('/mfa/')) {
      const shown = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(html)?.[1];
      if (shown) {
        const d = decodeBase32(shown.replace(/ /g, ''));
        if (!d.ok) throw new Error('bad TOTP secret on the enrolment page');
        state.secret = d.bytes;
      }
      if (!state.secret) throw new Error(`challenge without a known secret: ${html.slice(0, 400)}`);
      const now = Date.now();
      const at = state.lastCodeAt !== undefined && Math.floor(now / 30_000) <= Math.floor(state.lastCodeAt / 30_000) ? state.lastCodeAt + 30_000 : now;
      state.lastCodeAt = at;
      res = await b.post(here, { _csrf: field(html, '_csrf'), method: field(html, 'method'), code: generateTotp(state.secret, at) });
      continue;
    }
    if (!html.includes('name="SAMLResponse"')) throw new Error(`no SAMLResponse at ${here}: ${html.slice(0, 400)}`);
    return html;
  }
  throw new Error('too many hops');
}

/** Raw RSA-2048 SHA-256 signatures/s with a KeyObject, over `ms`. */
export function rawSignaturesPerSec(key: KeyObject, ms: number): number {
  return measureRsa(key, ms).perSec;
}

export function benchKey(): KeyObject {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
}

/**
 * GETs every path with `concurrency` in flight; resolves with the count of 200s carrying a
 * SAMLResponse and the seconds taken. `cookie` may pick a session per request (by its index).
 */
export async function fire(url: string, paths: string[], cookie: string | ((index: number) => string), concurrency: number): Promise<{ ok: number; seconds: number; statuses: Record<string, number> }> {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const one = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const path = paths[index]!;
      const req = request({ hostname, port, path, agent, headers: { cookie: typeof cookie === 'string' ? cookie : cookie(index) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const key = String(res.statusCode);
          statuses[key] = (statuses[key] ?? 0) + 1;
          if (res.statusCode === 200 && Buffer.concat(chunks).includes('name="SAMLResponse"')) ok++;
          resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) await one(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { ok, seconds, statuses };
}

export const ssoResponseScenario: Scenario = {
  name: 'sso-response',
  async run({ quick }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const host = await startSamlHost();
    try {
      const b = new TestBrowser(host.url);
      await signInOnce(b, await authnRequestPath(host.sp), {});
      const cookie = b.cookieHeader();
      const n = quick ? 2000 : 20_000;
      const warm = quick ? 200 : 1000;
      const concurrency = 8;
      const paths: string[] = [];
      for (let i = 0; i < n + warm; i++) paths.push(await authnRequestPath(host.sp));
      const key = benchKey();
      const before = measureRsa(key, quick ? 500 : 2000);
      const w = await fire(host.url, paths.slice(0, warm), cookie, concurrency);
      if (w.ok !== warm) throw new Error(`warm-up: ${w.ok}/${warm} responses carried a SAMLResponse (statuses ${JSON.stringify(w.statuses)})`);
      const cpu0 = processCpuMs(host.pid);
      const r = await fire(host.url, paths.slice(warm), cookie, concurrency);
      const serverCpuMsPerResponse = (processCpuMs(host.pid) - cpu0) / n;
      if (r.ok !== n) throw new Error(`${r.ok}/${n} responses carried a SAMLResponse (statuses ${JSON.stringify(r.statuses)})`);
      const after = measureRsa(key, quick ? 500 : 2000);
      const baselineBefore = before.perSec;
      const baselineAfter = after.perSec;
      const baseline = Math.max(baselineBefore, baselineAfter);
      const rsaCpuMsPerSignature = Math.min(before.cpuMsPerSignature, after.cpuMsPerSignature);
      const value = r.ok / r.seconds;
      const ratio = value / baseline;
      const cpuRatio = rsaCpuMsPerSignature / serverCpuMsPerResponse;
      return {
        name: 'sso-response',
        ratioMeaning: 'SSO responses/s over HTTP for a signed-in session (own process, assertion signed) ÷ raw RSA-2048 SHA-256 signatures/s in the bench process',
        ratio,
        value,
        unit: 'responses/s',
        baseline,
        baselineUnit: 'signatures/s',
        target: 'at least 0.5',
        met: ratio >= 0.5,
        cpuRatio,
        extra: { requests: n, concurrency, baselineBefore, baselineAfter, serverCpuMsPerResponse, rsaCpuMsPerSignature },
      };
    } finally {
      await host.close();
    }
  },
};
