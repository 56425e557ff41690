/**
 * What the forms proxy costs on pass-through requests, against the same legacy app (its own
 * process), two paths: a public asset (pure pass-through) and a protected page with a
 * signed-in session (adds the session lookup). The proxy runs in this process (the real host
 * through the test harness, SQLite), so its CPU and GC are this process's.
 *
 * 1. Capacity: requests/s at saturation (autocannon, 32 connections, in its own process),
 *    direct and proxied alternated, best of each; their ratio.
 * 2. Added latency: what the proxy adds to one request, measured where queueing does not
 *    dominate. An open-loop client in its own process (bench/support/open-loop-client.ts) sends
 *    requests on a fixed schedule far below either maximum (`latencyRate`, both targets
 *    together), slots alternating between direct and proxied, so both see the same moments of
 *    the shared machine; latencies in µs from send to the end of the reply; rounds alternate
 *    which target goes first. Added p50/p99 = proxied − direct over all rounds' samples. Beside
 *    it, for the same window: this process's GC pauses (`PerformanceObserver` 'gc'), its event
 *    loop delay, and the CPU per request of the proxy (this process), the app and the client
 *    (`/proc`), and the load average.
 *
 * Every reply must be 2xx: one failed request fails the run. Not a test: no thresholds.
 * Run with `npx tsx bench/forms-proxy.ts [--duration-sec 5] [--connections 32] [--rounds 2]
 * [--latency-requests 5000] [--latency-rate 400]`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ManualClock } from '../src/kit/clock.js';
import { startLegacyApp } from '../adapters/forms-proxy/demo/legacy-app.js';
import { ALICE, signedIn, startRig } from '../test/adapters/forms-proxy/support/rig.js';
import { processCpuMs } from './scenarios/cpu.js';
import type { OpenLoopReply, OpenLoopRequest } from './support/open-loop-client.js';

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
  /** Timed requests per side (direct, proxied) for the added latency, over all rounds. Default 5,000. */
  latencyRequests?: number;
  /** Open-loop rate of the latency runs, direct and proxied together, requests/s. Default 400. */
  latencyRate?: number;
}

/** A saturation run's throughput (its latencies are not used: the added latency is measured open-loop). */
export interface Measure {
  requestsPerSec: number;
}

export interface LatencyStats {
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** The added-latency measurement of one path (see the header comment). */
export interface AddedLatency {
  rate: number;
  /** Timed requests per side. */
  requests: number;
  rounds: number;
  direct: LatencyStats;
  proxied: LatencyStats;
  addedP50Ms: number;
  addedP99Ms: number;
  /** Added p99 of each round alone, ms: the spread. */
  roundAddedP99Ms: number[];
  /**
   * The proxy's own time per proxied request, in this process: from the request event on the
   * app listener to the upstream request's start, plus from the upstream reply's arrival to the
   * end of the reply to the browser (Node's `http.*` diagnostics channels). The wait for the app
   * and the kernel's delivery are left out, so this is what the proxy's code, GC and its own
   * descheduling while it runs add.
   */
  proxyOwn: LatencyStats;
  /** How many proxied requests the own time was measured for (all of them, normally). */
  proxyOwnSamples: number;
  /** This process's (the proxy's) GC over the latency runs. */
  gc: { count: number; totalMs: number; maxMs: number };
  /** This process's longest event loop stall over the latency runs (20 ms sampling, so it shows stalls, not µs), ms. */
  loopDelayMaxMs: number;
  /** CPU per proxied request of the proxy (this process), per request of the app, µs. */
  proxyCpuUsPerRequest: number;
  /** Of the proxy's CPU per request, the part spent in the kernel (system time: sockets, epoll). */
  proxySystemCpuUsPerRequest: number;
  appCpuUsPerRequest: number;
  clientCpuUsPerRequest: number;
  /** Largest lateness of the client's schedule, ms (its own scheduling, not the servers'). */
  maxSendLagMs: number;
  loadAverage: number;
}

export interface PathResult {
  path: string;
  directMax: Measure;
  proxiedMax: Measure;
  /** Proxied over direct requests/s at saturation. */
  rpsRatio: number;
  latency: AddedLatency;
  addedP50Ms: number;
  addedP99Ms: number;
}

export interface FormsProxyBenchResult {
  durationSec: number;
  rounds: number;
  connections: number;
  latencyRequests: number;
  latencyRate: number;
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

function autocannon(url: string, opts: { durationSec: number; connections: number; cookie?: string }): Promise<Measure> {
  const args = [autocannonBin, '--json', '-c', String(opts.connections), '-d', String(opts.durationSec)];
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
        resolve({ requestsPerSec: j.requests.average });
      } catch (err) {
        reject(new Error(`autocannon exited ${code}: ${(err as Error).message}`));
      }
    });
  });
}

/** Runs the legacy app in a child process and answers its URL. */
function spawnLegacyApp(): Promise<{ url: string; pid: number; stop(): void }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve-legacy-app'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve({ url: c.toString().trim(), pid: child.pid!, stop: () => child.kill() }));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`legacy app exited ${code}`)));
  });
}

const best = (a: Measure, b: Measure | undefined): Measure => (!b ? a : { requestsPerSec: Math.max(a.requestsPerSec, b.requestsPerSec) });

const clientModule = fileURLToPath(new URL('./support/open-loop-client.ts', import.meta.url));

/** One open-loop run in its own process. */
function openLoop(req: OpenLoopRequest): Promise<OpenLoopReply> {
  const child = spawn(process.execPath, ['--import', 'tsx', clientModule, '--run', JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out) as OpenLoopReply);
      } catch {
        reject(new Error(`the open-loop client exited ${code} without a result`));
      }
    });
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function stats(samples: number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  return { p50Us: quantile(s, 0.5), p99Us: quantile(s, 0.99), maxUs: s[s.length - 1]! };
}

/** Times the proxy's own share of each request on `port` (see `AddedLatency.proxyOwn`). */
function recordProxyOwnTime(port: number): { samplesUs: number[]; stop(): void } {
  const samplesUs: number[] = [];
  const arrived = new WeakMap<IncomingMessage, number>();
  const upstreamStart = new WeakMap<ClientRequest, number>();
  const upstreamReply = new WeakMap<ClientRequest, number>();
  const us = (): number => Number(process.hrtime.bigint() / 1000n);
  // The adapter keeps its outgoing request on the incoming one under a private symbol.
  const outgoingOf = (req: IncomingMessage): ClientRequest | undefined => {
    const key = Object.getOwnPropertySymbols(req).find((k) => k.description === 'forms-proxy.outgoing');
    return key === undefined ? undefined : ((req as unknown as Record<symbol, ClientRequest | undefined>)[key]);
  };
  const onServerStart = (m: unknown): void => {
    const { request, socket } = m as { request: IncomingMessage; socket: Socket };
    if (socket.localPort === port) arrived.set(request, us());
  };
  const onServerFinish = (m: unknown): void => {
    const { request } = m as { request: IncomingMessage };
    const t0 = arrived.get(request);
    const out = t0 === undefined ? undefined : outgoingOf(request);
    const up = out && upstreamStart.get(out);
    const back = out && upstreamReply.get(out);
    if (t0 !== undefined && up !== undefined && back !== undefined) samplesUs.push(up - t0 + (us() - back));
  };
  const onClientStart = (m: unknown): void => void upstreamStart.set((m as { request: ClientRequest }).request, us());
  const onClientReply = (m: unknown): void => void upstreamReply.set((m as { request: ClientRequest }).request, us());
  const channels: [string, (m: unknown) => void][] = [
    ['http.server.request.start', onServerStart],
    ['http.server.response.finish', onServerFinish],
    ['http.client.request.start', onClientStart],
    ['http.client.response.finish', onClientReply],
  ];
  for (const [name, fn] of channels) subscribe(name, fn);
  return { samplesUs, stop: () => channels.forEach(([name, fn]) => unsubscribe(name, fn)) };
}

async function measureAddedLatency(direct: string, proxied: string, o: { requests: number; rate: number; rounds: number; appPid: number; cookie?: string }): Promise<AddedLatency> {
  const proxyPort = Number(new URL(proxied).port);
  const own: number[] = [];
  const perRound = Math.ceil(o.requests / o.rounds);
  const all = { direct: [] as number[], proxied: [] as number[] };
  const roundAddedP99Ms: number[] = [];
  let maxSendLagMs = 0;
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  let loopDelayMaxMs = 0;
  let proxyCpuMs = 0;
  let proxySystemMs = 0;
  let appCpuMs = 0;
  let clientCpuMs = 0;
  const load0 = loadavg()[0]!;
  for (let r = 0; r < o.rounds; r++) {
    // Rounds alternate which side takes the even slots (and so goes first).
    const targets = r % 2 === 0 ? [direct, proxied] : [proxied, direct];
    const req: OpenLoopRequest = { targets, rate: o.rate, perTarget: perRound, warmPerTarget: 0, connections: 8, ...(o.cookie ? { headers: { cookie: o.cookie } } : {}) };
    // Untimed, the same schedule: JIT, both sides' connection pools.
    await openLoop({ ...req, perTarget: Math.min(300, perRound) });
    const cpu0 = process.cpuUsage();
    const app0 = processCpuMs(o.appPid);
    observer.observe({ entryTypes: ['gc'] });
    const ownTime = recordProxyOwnTime(proxyPort);
    // A coarse resolution: a finer timer would wake the proxy's loop more often than requests do.
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const reply = await openLoop(req);
    loop.disable();
    loopDelayMaxMs = Math.max(loopDelayMaxMs, loop.max / 1e6);
    observer.disconnect();
    ownTime.stop();
    own.push(...ownTime.samplesUs);
    const cpu = process.cpuUsage(cpu0);
    proxyCpuMs += (cpu.user + cpu.system) / 1000;
    proxySystemMs += cpu.system / 1000;
    appCpuMs += processCpuMs(o.appPid) - app0;
    clientCpuMs += reply.cpuMs;
    const failed = reply.non2xx.reduce((a, b) => a + b, 0) + reply.errors.reduce((a, b) => a + b, 0);
    if (failed > 0) throw new Error(`added latency: ${reply.non2xx.join('/')} non-2xx replies, ${reply.errors.join('/')} errors (${targets.join(' / ')})`);
    const [d, p] = r % 2 === 0 ? [reply.latenciesUs[0]!, reply.latenciesUs[1]!] : [reply.latenciesUs[1]!, reply.latenciesUs[0]!];
    all.direct.push(...d);
    all.proxied.push(...p);
    roundAddedP99Ms.push((stats(p).p99Us - stats(d).p99Us) / 1000);
    maxSendLagMs = Math.max(maxSendLagMs, reply.maxSendLagUs / 1000);
  }
  const ds = stats(all.direct);
  const ps = stats(all.proxied);
  const n = all.proxied.length;
  // The own time is found through the adapter's private outgoing-request symbol: if that changed,
  // or requests stopped going through it, samples would silently go missing.
  if (own.length < 0.9 * n) throw new Error(`added latency: the proxy's own time was measured for ${own.length} of ${n} proxied requests (did the forms-proxy.outgoing symbol change?)`);
  return {
    rate: o.rate,
    requests: n,
    rounds: o.rounds,
    direct: ds,
    proxied: ps,
    addedP50Ms: (ps.p50Us - ds.p50Us) / 1000,
    addedP99Ms: (ps.p99Us - ds.p99Us) / 1000,
    roundAddedP99Ms,
    proxyOwn: stats(own),
    proxyOwnSamples: own.length,
    gc,
    loopDelayMaxMs,
    proxyCpuUsPerRequest: (proxyCpuMs * 1000) / n,
    proxySystemCpuUsPerRequest: (proxySystemMs * 1000) / n,
    // The app answers both sides' requests.
    appCpuUsPerRequest: (appCpuMs * 1000) / (2 * n),
    clientCpuUsPerRequest: (clientCpuMs * 1000) / (2 * n),
    maxSendLagMs,
    loadAverage: Math.max(load0, loadavg()[0]!),
  };
}

async function measurePath(direct: string, proxied: string, path: string, o: { durationSec: number; connections: number; rounds: number; latencyRequests: number; latencyRate: number; appPid: number; cookie?: string }): Promise<PathResult> {
  const base = { durationSec: o.durationSec, connections: o.connections, ...(o.cookie ? { cookie: o.cookie } : {}) };
  // Warm both paths (JIT, keep-alive pools) before measuring.
  await autocannon(`${proxied}${path}`, { ...base, durationSec: 1 });
  let directMax: Measure | undefined;
  let proxiedMax: Measure | undefined;
  for (let r = 0; r < o.rounds; r++) {
    directMax = best(await autocannon(`${direct}${path}`, base), directMax);
    proxiedMax = best(await autocannon(`${proxied}${path}`, base), proxiedMax);
  }
  const latency = await measureAddedLatency(`${direct}${path}`, `${proxied}${path}`, { requests: o.latencyRequests, rate: o.latencyRate, rounds: Math.max(2, o.rounds), appPid: o.appPid, ...(o.cookie ? { cookie: o.cookie } : {}) });
  return {
    path,
    directMax: directMax!,
    proxiedMax: proxiedMax!,
    rpsRatio: proxiedMax!.requestsPerSec / directMax!.requestsPerSec,
    latency,
    addedP50Ms: latency.addedP50Ms,
    addedP99Ms: latency.addedP99Ms,
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
  const latencyRequests = options.latencyRequests ?? 5000;
  const latencyRate = options.latencyRate ?? 400;
  const legacy = await spawnLegacyApp();
  // The real host (test harness, SQLite) with the adapter in front of the app's own process.
  const rig = await startRig({ name: 'intranet', upstream: legacy.url }, { clock: new LiveClock() });
  try {
    // A signed-in browser: its cookies open the protected page directly and through the proxy.
    const { browser } = await signedIn(rig);
    const cookie = browser.cookieHeader();
    const common = { durationSec, connections, rounds, latencyRequests, latencyRate, appPid: legacy.pid };
    const pub = await measurePath(legacy.url, rig.app, '/public/style.css', common);
    const prot = await measurePath(legacy.url, rig.app, '/secret', { ...common, cookie });
    return { durationSec, connections, rounds, latencyRequests, latencyRate, public: pub, protected: prot };
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
    const lr = argValue('--latency-requests');
    const rate = argValue('--latency-rate');
    const r = await runFormsProxyBench({
      ...(d ? { durationSec: Number(d) } : {}),
      ...(c ? { connections: Number(c) } : {}),
      ...(n ? { rounds: Number(n) } : {}),
      ...(lr ? { latencyRequests: Number(lr) } : {}),
      ...(rate ? { latencyRate: Number(rate) } : {}),
    });
    const f = (n: number, w = 8): string => n.toFixed(n < 100 ? 2 : 0).padStart(w);
    const ms = (us: number): string => (us / 1000).toFixed(3);
    console.log(`forms-proxy pass-through bench (${availableParallelism()} CPUs; capacity: ${r.connections} connections, ${r.durationSec} s per run, best of ${r.rounds} rounds; added latency: open loop at ${r.latencyRate} req/s, ${r.latencyRequests} requests a side, interleaved)`);
    for (const p of [r.public, r.protected]) {
      const l = p.latency;
      console.log(`\n${p.path}${p === r.protected ? ' (signed in: session lookup included)' : ''}`);
      console.log(`  max req/s     direct ${f(p.directMax.requestsPerSec)}   proxied ${f(p.proxiedMax.requestsPerSec)}   ratio ${p.rpsRatio.toFixed(2)}`);
      console.log(`  latency ms    direct p50 ${ms(l.direct.p50Us)} p99 ${ms(l.direct.p99Us)} max ${ms(l.direct.maxUs)}   proxied p50 ${ms(l.proxied.p50Us)} p99 ${ms(l.proxied.p99Us)} max ${ms(l.proxied.maxUs)}`);
      console.log(`  added ms      p50 ${l.addedP50Ms.toFixed(3)}   p99 ${l.addedP99Ms.toFixed(3)}   (rounds: ${l.roundAddedP99Ms.map((x) => x.toFixed(3)).join(', ')})`);
      console.log(`  proxy's own time p50 ${ms(l.proxyOwn.p50Us)} p99 ${ms(l.proxyOwn.p99Us)} max ${ms(l.proxyOwn.maxUs)} ms (${l.proxyOwnSamples} of ${l.requests} requests)`);
      console.log(`  proxy process GC ${l.gc.count} pauses, ${l.gc.totalMs.toFixed(1)} ms, max ${l.gc.maxMs.toFixed(2)} ms; longest loop stall ${l.loopDelayMaxMs.toFixed(1)} ms`);
      console.log(`  CPU µs/request proxy ${l.proxyCpuUsPerRequest.toFixed(0)} (${l.proxySystemCpuUsPerRequest.toFixed(0)} in the kernel)   app ${l.appCpuUsPerRequest.toFixed(0)}   client ${l.clientCpuUsPerRequest.toFixed(0)}   send lag max ${l.maxSendLagMs.toFixed(2)} ms   load ${l.loadAverage.toFixed(2)}`);
    }
  }
}
