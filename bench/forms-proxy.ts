/**
 * What the forms proxy costs on pass-through requests. In one run, against the same legacy
 * app (its own process): requests/s at saturation reached directly and through the proxy,
 * then p50/p99 latency of both at half the direct maximum (a rate both can sustain, so the
 * difference is the proxy's added latency, not queueing). Two paths: a public asset (pure
 * pass-through) and a protected page with a signed-in session (adds the session lookup).
 * autocannon runs in its own process so it does not share the proxy's event loop. Not a test:
 * no thresholds. Run with `npx tsx bench/forms-proxy.ts [--duration-sec 5] [--connections 32] [--rounds 2]`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ManualClock } from '../src/kit/clock.js';
import { startLegacyApp } from '../adapters/forms-proxy/demo/legacy-app.js';
import { ALICE, signedIn, startRig } from '../test/adapters/forms-proxy/support/rig.js';

export interface FormsProxyBenchOptions {
  /** Length of each measurement. Default 5 s. */
  durationSec?: number;
  /**
   * Direct and proxied runs alternate this many times and the best of each counts, so a
   * neighbour's burst of CPU (a shared CI machine) does not land on one side only. Default 2.
   */
  rounds?: number;
  /** Concurrent connections for the saturation runs. Default 32. */
  connections?: number;
}

export interface Measure {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PathResult {
  path: string;
  directMax: Measure;
  proxiedMax: Measure;
  /** Proxied over direct requests/s at saturation. */
  rpsRatio: number;
  /** The fixed rate of the latency runs: half the direct maximum. */
  halfRate: number;
  directAtHalf: Measure;
  proxiedAtHalf: Measure;
  addedP50Ms: number;
  addedP99Ms: number;
}

export interface FormsProxyBenchResult {
  durationSec: number;
  rounds: number;
  connections: number;
  public: PathResult;
  protected: PathResult;
}

interface AutocannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

function autocannon(url: string, opts: { durationSec: number; connections: number; rate?: number; cookie?: string }): Promise<Measure> {
  const args = [autocannonBin, '--json', '-c', String(opts.connections), '-d', String(opts.durationSec)];
  if (opts.rate) args.push('-R', String(Math.max(1, Math.floor(opts.rate))));
  if (opts.cookie) args.push('-H', `cookie=${opts.cookie}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const j = JSON.parse(out) as AutocannonJson;
        if (j.non2xx > 0 || j.errors > 0) throw new Error(`${url}: ${j.non2xx} non-2xx replies, ${j.errors} errors`);
        resolve({ requestsPerSec: j.requests.average, p50Ms: j.latency.p50, p99Ms: j.latency.p99 });
      } catch (err) {
        reject(new Error(`autocannon exited ${code}: ${(err as Error).message}`));
      }
    });
  });
}

/** Runs the legacy app in a child process and answers its URL. */
function spawnLegacyApp(): Promise<{ url: string; stop(): void }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve-legacy-app'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve({ url: c.toString().trim(), stop: () => child.kill() }));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`legacy app exited ${code}`)));
  });
}

const best = (a: Measure, b: Measure | undefined): Measure => (!b ? a : { requestsPerSec: Math.max(a.requestsPerSec, b.requestsPerSec), p50Ms: Math.min(a.p50Ms, b.p50Ms), p99Ms: Math.min(a.p99Ms, b.p99Ms) });

async function measurePath(direct: string, proxied: string, path: string, o: { durationSec: number; connections: number; rounds: number; cookie?: string }): Promise<PathResult> {
  const base = { durationSec: o.durationSec, connections: o.connections, ...(o.cookie ? { cookie: o.cookie } : {}) };
  // Warm both paths (JIT, keep-alive pools) before measuring.
  await autocannon(`${proxied}${path}`, { ...base, durationSec: 1 });
  let directMax: Measure | undefined;
  let proxiedMax: Measure | undefined;
  for (let r = 0; r < o.rounds; r++) {
    directMax = best(await autocannon(`${direct}${path}`, base), directMax);
    proxiedMax = best(await autocannon(`${proxied}${path}`, base), proxiedMax);
  }
  const halfRate = directMax!.requestsPerSec / 2;
  let directAtHalf: Measure | undefined;
  let proxiedAtHalf: Measure | undefined;
  for (let r = 0; r < o.rounds; r++) {
    directAtHalf = best(await autocannon(`${direct}${path}`, { ...base, rate: halfRate }), directAtHalf);
    proxiedAtHalf = best(await autocannon(`${proxied}${path}`, { ...base, rate: halfRate }), proxiedAtHalf);
  }
  return {
    path,
    directMax: directMax!,
    proxiedMax: proxiedMax!,
    rpsRatio: proxiedMax!.requestsPerSec / directMax!.requestsPerSec,
    halfRate,
    directAtHalf: directAtHalf!,
    proxiedAtHalf: proxiedAtHalf!,
    addedP50Ms: proxiedAtHalf!.p50Ms - directAtHalf!.p50Ms,
    addedP99Ms: proxiedAtHalf!.p99Ms - directAtHalf!.p99Ms,
  };
}

/** The wall clock, for the run: session lifetimes and the session re-check must really elapse. */
class LiveClock extends ManualClock {
  override now(): number {
    return Date.now();
  }
}

export async function runFormsProxyBench(options: FormsProxyBenchOptions = {}): Promise<FormsProxyBenchResult> {
  const durationSec = options.durationSec ?? 5;
  const connections = options.connections ?? 32;
  const rounds = options.rounds ?? 2;
  const legacy = await spawnLegacyApp();
  // The real host (test harness, SQLite) with the adapter in front of the app's own process.
  const rig = await startRig({ name: 'intranet', upstream: legacy.url }, { clock: new LiveClock() });
  try {
    // A signed-in browser: its cookies open the protected page directly and through the proxy.
    const { browser } = await signedIn(rig);
    const cookie = browser.cookieHeader();
    const pub = await measurePath(legacy.url, rig.app, '/public/style.css', { durationSec, connections, rounds });
    const prot = await measurePath(legacy.url, rig.app, '/secret', { durationSec, connections, rounds, cookie });
    return { durationSec, connections, rounds, public: pub, protected: prot };
  } finally {
    await rig.close();
    legacy.stop();
  }
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--serve-legacy-app')) {
    const legacy = await startLegacyApp({ users: { alice: ALICE.password } });
    // The parent reads this line to learn where the app listens.
    process.stdout.write(`${legacy.url}\n`);
  } else {
    const d = argValue('--duration-sec');
    const c = argValue('--connections');
    const n = argValue('--rounds');
    const r = await runFormsProxyBench({ ...(d ? { durationSec: Number(d) } : {}), ...(c ? { connections: Number(c) } : {}), ...(n ? { rounds: Number(n) } : {}) });
    const f = (n: number, w = 8): string => n.toFixed(n < 100 ? 2 : 0).padStart(w);
    console.log(`forms-proxy pass-through bench (${availableParallelism()} CPUs, ${r.connections} connections, ${r.durationSec} s per run, best of ${r.rounds} rounds; legacy app and autocannon in their own processes)`);
    for (const p of [r.public, r.protected]) {
      console.log(`\n${p.path}${p === r.protected ? ' (signed in: session lookup included)' : ''}`);
      console.log(`  max req/s     direct ${f(p.directMax.requestsPerSec)}   proxied ${f(p.proxiedMax.requestsPerSec)}   ratio ${p.rpsRatio.toFixed(2)}`);
      console.log(`  at ${p.halfRate.toFixed(0)} req/s  direct p50 ${f(p.directAtHalf.p50Ms, 6)} ms p99 ${f(p.directAtHalf.p99Ms, 6)} ms   proxied p50 ${f(p.proxiedAtHalf.p50Ms, 6)} ms p99 ${f(p.proxiedAtHalf.p99Ms, 6)} ms`);
      console.log(`  added latency p50 ${f(p.addedP50Ms, 6)} ms   p99 ${f(p.addedP99Ms, 6)} ms`);
    }
  }
}
