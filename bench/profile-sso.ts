/**
 * A CPU profile of the `factorgate start` process while it answers SSO requests, set up as the
 * `sso-response` scenario (one signed-in session, distinct HTTP-Redirect AuthnRequests, 8 in
 * flight). `npx tsx bench/profile-sso.ts [--requests N] [--out DIR]` writes the V8 profile
 * (`node --cpu-prof`) to DIR and prints self time grouped by package and the top functions, so a
 * cut is chosen from figures, not guesses. Not a benchmark: profiling slows the server.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TestBrowser } from '../test/support/http-client.js';
import { processCpuSplitMs } from './scenarios/cpu.js';
import { authnRequestPath, fire, signInOnce, startSamlHost } from './scenarios/sso-response.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The package (or our own folder) a script URL belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) {
    const parts = url.slice(dist + '/dist/'.length).split('/');
    return parts.slice(0, 2).join('/');
  }
  return url;
}

/** Self time (µs) of each sample, attributed to the sampled function's package and name, inside [from, to] (µs since profile start). */
export function selfTimes(p: CpuProfile, from = 0, to = Infinity): { byPackage: Map<string, number>; byFunction: Map<string, number>; total: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    if (t < from || t > to) continue;
    const n = byId.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (n.callFrame.functionName === '(idle)') continue;
    total += dt;
    const pkg = packageOf(n.callFrame.url, n.callFrame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${pkg}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  }
  return { byPackage, byFunction, total };
}

function top(m: Map<string, number>, total: number, n: number): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'cpu-only': { type: 'boolean', default: false }, perf: { type: 'string' }, 'node-arg': { type: 'string', multiple: true, default: [] }, path: { type: 'string' }, requests: { type: 'string', default: '4000' }, out: { type: 'string', default: join(tmpdir(), 'factorgate-profiles') } } });
  const n = Number(values.requests);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const before = new Set(readdirSync(out));
  const window = { from: 0, to: 0 };
  const cpuOnly = values['cpu-only'];
  // --perf FILE: Linux `perf record` of the server over the timed phase (CPU samples, kernel included, JS names from --perf-basic-prof).
  const perfFile = values.perf;
  const nodeArgs = [...(values['node-arg'] ?? []), ...(perfFile ? ['--perf-prof', '--interpreted-frames-native-stack'] : cpuOnly ? [] : ['--cpu-prof', `--cpu-prof-dir=${out}`])];
  const host = await startSamlHost({ nodeArgs });
  try {
    const b = new TestBrowser(host.url);
    await signInOnce(b, await authnRequestPath(host.sp), {});
    const cookie = b.cookieHeader();
    const paths: string[] = [];
    // --path P: the same requests to one fixed path instead (e.g. /healthz: the pipeline's floor).
    for (let i = 0; i < n + 500; i++) paths.push(values.path ?? (await authnRequestPath(host.sp)));
    await fire(host.url, paths.slice(0, 500), cookie, 8);
    // V8 stamps profiles with the monotonic clock process.hrtime reads, so the timed phase can be cut out of the profile.
    window.from = Number(process.hrtime.bigint() / 1000n);
    const perf = perfFile ? spawn('perf', ['record', '-k', 'mono', '-F', '1999', '-g', '-p', String(host.pid), '-o', perfFile], { stdio: 'ignore' }) : undefined;
    if (perf) await new Promise((r) => setTimeout(r, 500));
    const cpu0 = processCpuSplitMs(host.pid);
    const r = await fire(host.url, paths.slice(500), cookie, 8);
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((r) => perf.once('exit', r));
      // --perf-prof writes the JIT's code map to jit-<pid>.dump in the server's folder, removed at close: kept beside the perf file (see --help of `perf inject -j`).
      const dump = join(host.dir, `jit-${host.pid}.dump`);
      if (existsSync(dump)) copyFileSync(dump, `${perfFile}.jit-${host.pid}.dump`);
      console.log(`perf: ${perfFile}; JIT map of ${dump} kept as ${perfFile}.jit-${host.pid}.dump`);
    }
    const cpu1 = processCpuSplitMs(host.pid);
    window.to = Number(process.hrtime.bigint() / 1000n);
    const perResponse = (ms: number) => `${((1000 * ms) / n).toFixed(0)} µs`;
    console.log(`${values.path ? JSON.stringify(r.statuses) : `${r.ok}/${n}`} responses in ${r.seconds.toFixed(1)} s; server CPU per response: user ${perResponse(cpu1.user - cpu0.user)}, system ${perResponse(cpu1.system - cpu0.system)}`);
  } finally {
    await host.close();
  }
  if (cpuOnly || perfFile) return;
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!file) throw new Error(`no profile written to ${out}`);
  const p = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
  const s = selfTimes(p, window.from - p.startTime, window.to - p.startTime);
  console.log(`profile ${join(out, file)}: ${(s.total / 1000).toFixed(0)} ms busy in the timed phase, ${(s.total / n).toFixed(0)} µs per response`);
  console.log(`\nself time by package\n${top(s.byPackage, s.total, 30)}`);
  console.log(`\nself time by function\n${top(s.byFunction, s.total, 40)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
