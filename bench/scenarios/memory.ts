/**
 * Memory: the RSS of a `factorgate start` process (its own process, the host of `sso-response`)
 * whose store holds N imported users (1,000,000; 20,000 with --quick), through two phases of
 * sign-ins. The users live in a throwaway slapd (the tests' AD-like tree, N more users loaded
 * with `slapadd` from an LDIF written here) and are imported the way an administrator would:
 * `factorgate users import --config <the host's config>`, the CLI in its own process, before
 * `factorgate start` with the same config. The host then authenticates against that slapd.
 *
 * A phase is P sign-ins (100,000; 2,000 with --quick): F completed sign-ins of distinct users
 * from fresh browsers (AuthnRequest → /login, LDAP bind → TOTP, enrolment in phase 1 → signed
 * Response), then P − F SSO responses for those F sessions (a distinct AuthnRequest each,
 * round-robin over the sessions), 8 requests in flight. Phase 2 repeats phase 1 with the same
 * users. The server's /proc/<pid>/status is sampled throughout: VmHWM (peak RSS) after phase 1
 * is the value; the baseline is the same process's VmRSS at /readyz before any sign-in; growth
 * is phase 2 over phase 1, peak RSS to peak RSS and live V8 heap to live V8 heap, the larger
 * counting. The live heap is read after a forced full GC (the server runs with `--expose-gc` and
 * bench/support/gc-on-signal.mjs, which collects on SIGUSR2), so a small run does not count
 * garbage not yet collected as growth; RSS settled and after that GC are reported beside (RSS
 * barely follows a GC: freed pages stay mapped, SQLite's cache and malloc arenas are in it).
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { startSlapd, type Slapd } from '../../test/support/slapd.js';
import { slapdDirectoryConfig } from '../../test/support/ldap-directory-config.js';
import { escapeDnValue, guidFor, ldifLine } from '../../test/support/ldap-fixture.js';
import { freePort } from '../../test/support/free-port.js';
import { TestBrowser } from '../../test/support/http-client.js';
import { stopServer } from '../support/stop-server.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { authnRequestPath, fire, signInOnce, startSamlHost, type SamlHost } from './sso-response.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const PASSWORD = 'Bench-Passw0rd!';
const CONCURRENCY = 8;
/** SSO requests generated and sent per slice (keeps the bench process's own memory small). */
const SLICE = 10_000;

const mb = (kb: number): number => Math.round(kb / 102.4) / 10;

/** VmRSS and VmHWM of a process, in kB. */
function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Runs a command, sampling its VmHWM until it exits; resolves with the last peak seen (kB). */
function runSampled(args: string[], cwd: string): Promise<{ seconds: number; peakKb: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKb = 0;
    let out = '';
    let err = '';
    const sample = () => {
      try {
        // An exited child not yet reaped has a status without VmHWM (NaN): keep the last peak.
        const { hwm } = procMemory(child.pid!);
        if (Number.isFinite(hwm)) peakKb = Math.max(peakKb, hwm);
      } catch {
        /* exited between two samples */
      }
    };
    const timer = setInterval(sample, 100);
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString('utf8')).slice(-2000)));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve({ seconds: (performance.now() - t0) / 1000, peakKb, stdout: out });
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err || out}`));
    });
  });
}

const benchUid = (i: number): string => `bench${String(i).padStart(7, '0')}`;

/** Adds `users` members of the MFA group straight under ou=Users (slapd stopped, `slapadd -q`). */
async function loadUsers(slapd: Slapd, users: number): Promise<number> {
  const file = join(slapd.dir, 'bench-users.ldif');
  const out = createWriteStream(file);
  const usersOu = `ou=Users,ou=Corp,${slapd.suffix}`;
  let chunk = '';
  for (let i = 0; i < users; i++) {
    const uid = benchUid(i);
    const lines: [string, string | Buffer][] = [
      ['dn', `cn=${escapeDnValue(`Bench User ${uid}`)},${usersOu}`],
      ['objectClass', 'inetOrgPerson'],
      ['objectClass', 'adLikeUser'],
      ['cn', `Bench User ${uid}`],
      ['uid', uid],
      ['sAMAccountName', uid],
      ['userPrincipalName', `${uid}@corp.example`],
      ['givenName', 'Bench'],
      ['sn', `User ${i}`],
      ['displayName', `Bench User ${i}`],
      ['mail', `${uid}@corp.example`],
      ['objectGUID', guidFor(`${slapd.suffix}/${uid}`)],
      ['userAccountControl', '512'],
      ['userPassword', PASSWORD],
      ['memberOf', slapd.fixture.mfaGroupDn],
    ];
    chunk += `${lines.map(([a, v]) => ldifLine(a, v)).join('\n')}\n\n`;
    if (chunk.length > 1 << 20 || i === users - 1) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const t0 = performance.now();
  await promisify(execFile)('/usr/sbin/slapadd', ['-q', '-n', '1', '-F', join(slapd.dir, 'slapd.d'), '-l', file], { maxBuffer: 1 << 24 });
  rmSync(file);
  return (performance.now() - t0) / 1000;
}

/** RSS of a bare Node HTTP server once listening (kB), for scale. */
async function bareNodeRss(): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`], { stdio: 'ignore' });
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/`)).status === 200) break;
      } catch {
        if (tries > 500) throw new Error('bare node server never answered');
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    return procMemory(child.pid!).rss;
  } finally {
    await stopServer(child);
  }
}

/** The server's own V8 heap figures from its Prometheus /metrics (default metrics), in MB. */
async function heapFigures(url: string): Promise<{ heapUsed: number; heapTotal: number; external: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const bytes = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  const inMb = (b: number) => Math.round(b / 104857.6) / 10;
  return { heapUsed: inMb(bytes('nodejs_heap_size_used_bytes')), heapTotal: inMb(bytes('nodejs_heap_size_total_bytes')), external: inMb(bytes('nodejs_external_memory_bytes')) };
}

interface PhaseResult {
  seconds: number;
  /** Highest VmRSS sampled during the phase, kB. */
  maxRss: number;
  /** VmHWM at the end of the phase (peak since the process started), kB. */
  hwm: number;
  /** VmRSS after the phase and 2 s without requests, kB. */
  settledRss: number;
  /** VmRSS after that and a forced full GC, kB. */
  gcRss: number;
  heap: { heapUsed: number; heapTotal: number; external: number };
  /** The V8 heap after the forced GC. */
  gcHeap: { heapUsed: number; heapTotal: number; external: number };
}

type UserState = { username: string; state: { secret?: Buffer; lastCodeAt?: number }; cookie: string };

async function runPhase(host: SamlHost, users: UserState[], signIns: number): Promise<PhaseResult> {
  let maxRss = 0;
  const sample = () => (maxRss = Math.max(maxRss, procMemory(host.pid).rss));
  const timer = setInterval(sample, 200);
  const t0 = performance.now();
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < users.length) {
          const u = users[next++]!;
          const b = new TestBrowser(host.url);
          await signInOnce(b, await authnRequestPath(host.sp), u.state, u.username, PASSWORD);
          u.cookie = b.cookieHeader();
        }
      }),
    );
    for (let sent = users.length; sent < signIns; ) {
      const paths: string[] = [];
      const count = Math.min(SLICE, signIns - sent);
      for (let i = 0; i < count; i++) paths.push(await authnRequestPath(host.sp));
      const offset = sent;
      const r = await fire(host.url, paths, (i) => users[(offset + i) % users.length]!.cookie, CONCURRENCY);
      if (r.ok !== count) throw new Error(`${r.ok}/${count} SSO responses carried a SAMLResponse (statuses ${JSON.stringify(r.statuses)})`);
      sent += count;
    }
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  sample();
  await new Promise((r) => setTimeout(r, 2000));
  const { rss, hwm } = procMemory(host.pid);
  const heap = await heapFigures(host.url);
  process.kill(host.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 1000));
  const gcRss = procMemory(host.pid).rss;
  return { seconds, maxRss, hwm, settledRss: rss, gcRss, heap, gcHeap: await heapFigures(host.url) };
}

export const memoryScenario: Scenario = {
  name: 'memory',
  async run({ quick, memoryUsers }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const userCount = memoryUsers ?? (quick ? 20_000 : 1_000_000);
    const signIns = quick ? 2_000 : 100_000;
    const fullSignIns = quick ? 100 : 1_000;
    // One fixture user: slapadd refuses the tree's MFA group without a member.
    const slapd = await startSlapd({ users: 1 });
    let host: SamlHost | undefined;
    try {
      await slapd.stop('SIGTERM');
      const slapaddSeconds = await loadUsers(slapd, userCount);
      await slapd.start();
      let imported: { seconds: number; peakKb: number; stdout: string } | undefined;
      host = await startSamlHost({
        nodeArgs: ['--expose-gc', '--import', pathToFileURL(join(process.cwd(), 'bench/support/gc-on-signal.mjs')).href],
        // The directory's own timeouts (5 s to connect, 10 s per operation), not the tests' 1 s
        // connect: a loaded machine delays a connect by more than that now and then, and over a
        // million users' runs (2,000 sign-ins, each opening a bind connection) one was enough to
        // fail the run with a 503 at /login.
        directory: slapdDirectoryConfig(slapd, { timeouts: {} }) as unknown as Record<string, unknown>,
        beforeStart: async (cfg) => {
          imported = await runSampled([MAIN, 'users', 'import', '--config', cfg], join(cfg, '..'));
        },
      });
      const added = Number(/added\s+(\d+)/.exec(imported!.stdout)?.[1] ?? NaN);
      const expected = userCount + slapd.fixture.users.filter((u) => u.inMfaGroup).length;
      if (added !== expected) throw new Error(`the import added ${added} users, expected ${expected}: ${imported!.stdout}`);
      await new Promise((r) => setTimeout(r, 500));
      const ready = procMemory(host.pid);
      const readyHeap = await heapFigures(host.url);
      const users: UserState[] = Array.from({ length: fullSignIns }, (_, i) => ({ username: benchUid(Math.floor((i * userCount) / fullSignIns)), state: {}, cookie: '' }));
      const p1 = await runPhase(host, users, signIns);
      const p2 = await runPhase(host, users, signIns);
      const bare = await bareNodeRss();
      const value = mb(p1.hwm);
      const baseline = mb(ready.rss);
      const peakGrowth = p2.hwm / p1.hwm - 1;
      const settledGrowth = p2.settledRss / p1.settledRss - 1;
      const gcGrowth = p2.gcRss / p1.gcRss - 1;
      const gcHeapGrowth = p2.gcHeap.heapUsed / p1.gcHeap.heapUsed - 1;
      const growth = Math.max(peakGrowth, gcHeapGrowth);
      return {
        name: 'memory',
        ratioMeaning: `server peak RSS after ${userCount} imported users + ${signIns} sign-ins ÷ the same process's RSS at /readyz before any sign-in; growth (peak RSS, or live heap after a forced GC) after ${signIns} more sign-ins ${(growth * 100).toFixed(1)} %`,
        ratio: value / baseline,
        value,
        unit: 'MB',
        baseline,
        baselineUnit: 'MB at ready',
        target: 'peak under 200 MB, growth under 10 %',
        met: value < 200 && growth < 0.1,
        extra: {
          users: userCount,
          signInsPerPhase: signIns,
          completedSignInsPerPhase: fullSignIns,
          ssoResponsesPerPhase: signIns - fullSignIns,
          concurrency: CONCURRENCY,
          slapaddSeconds: Math.round(slapaddSeconds * 10) / 10,
          importSeconds: Math.round(imported!.seconds * 10) / 10,
          importCliPeakRssMb: mb(imported!.peakKb),
          readyRssMb: mb(ready.rss),
          readyHeapUsedMb: readyHeap.heapUsed,
          readyHeapTotalMb: readyHeap.heapTotal,
          phase1Seconds: Math.round(p1.seconds),
          phase1MaxRssMb: mb(p1.maxRss),
          phase1PeakRssMb: mb(p1.hwm),
          phase1SettledRssMb: mb(p1.settledRss),
          phase1HeapUsedMb: p1.heap.heapUsed,
          phase1HeapTotalMb: p1.heap.heapTotal,
          phase1ExternalMb: p1.heap.external,
          phase2Seconds: Math.round(p2.seconds),
          phase2MaxRssMb: mb(p2.maxRss),
          phase2PeakRssMb: mb(p2.hwm),
          phase2SettledRssMb: mb(p2.settledRss),
          phase2HeapUsedMb: p2.heap.heapUsed,
          phase2HeapTotalMb: p2.heap.heapTotal,
          phase2ExternalMb: p2.heap.external,
          phase1GcRssMb: mb(p1.gcRss),
          phase1GcHeapUsedMb: p1.gcHeap.heapUsed,
          phase2GcRssMb: mb(p2.gcRss),
          phase2GcHeapUsedMb: p2.gcHeap.heapUsed,
          gcGrowthPct: Math.round(gcGrowth * 1000) / 10,
          gcHeapGrowthPct: Math.round(gcHeapGrowth * 1000) / 10,
          peakGrowthPct: Math.round(peakGrowth * 1000) / 10,
          settledGrowthPct: Math.round(settledGrowth * 1000) / 10,
          bareNodeRssMb: mb(bare),
        },
      };
    } finally {
      await host?.close();
      await slapd.destroy();
    }
  },
};
