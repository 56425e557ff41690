/**
 * A CPU profile of the `factorgate start` process while it answers SSO requests, set up as the
 * `sso-response` scenario (one signed-in session, distinct HTTP-Redirect AuthnRequests, 8 in
 * flight). `npx tsx bench/profile-sso.ts [--requests N] [--out DIR]` writes the V8 profile
 * (`node --cpu-prof`) to DIR and prints self time grouped by package and the top functions, so a
 * cut is chosen from figures, not guesses. Not a benchmark: profiling slows the server.
 * `--alloc FILE` samples what the server allocates over the timed phase instead (V8's sampling
 * heap profiler, objects that the GC collected later included; bench/support/heap-sample.mjs),
 * writes it to FILE and prints KB per request, by group (as the CPU profile) and by function.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TestBrowser } from '../test/support/http-client.js';
import { processCpuSplitMs } from './scenarios/cpu.js';
import { formatSelfTimes, groupOf, samplesBetween, selfTimes, type CpuProfile } from './support/cpu-profile-summary.js';
import { authnRequestPath, fire, signInOnce, startSamlHost } from './scenarios/sso-response.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'cpu-only': { type: 'boolean', default: false }, alloc: { type: 'string' }, perf: { type: 'string' }, 'node-arg': { type: 'string', multiple: true, default: [] }, path: { type: 'string' }, requests: { type: 'string', default: '4000' }, out: { type: 'string', default: join(tmpdir(), 'factorgate-profiles') } } });
  const n = Number(values.requests);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const before = new Set(readdirSync(out));
  const window = { from: 0, to: 0 };
  const allocFile = values.alloc ? resolve(values.alloc) : undefined;
  const cpuOnly = values['cpu-only'] || allocFile !== undefined;
  if (allocFile) {
    // A profile left by an earlier run would otherwise be read (and printed) as this run's.
    rmSync(allocFile, { force: true });
    process.env.FG_HEAP_SAMPLE_OUT = allocFile;
  }
  // --perf FILE: Linux `perf record` of the server over the timed phase (CPU samples, kernel included, JS names from --perf-basic-prof).
  const perfFile = values.perf;
  const nodeArgs = [
    ...(values['node-arg'] ?? []),
    ...(perfFile ? ['--perf-prof', '--interpreted-frames-native-stack'] : cpuOnly ? [] : ['--cpu-prof', `--cpu-prof-dir=${out}`]),
    ...(allocFile ? ['--import', pathToFileURL(resolve('bench/support/heap-sample.mjs')).href] : []),
  ];
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
    if (allocFile) process.kill(host.pid, 'SIGUSR2');
    const cpu0 = processCpuSplitMs(host.pid);
    const r = await fire(host.url, paths.slice(500), cookie, 8);
    if (allocFile) {
      process.kill(host.pid, 'SIGUSR2');
      for (let i = 0; i < 100 && !existsSync(allocFile); i++) await new Promise((r) => setTimeout(r, 100));
    }
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
  if (allocFile) {
    if (!existsSync(allocFile)) throw new Error(`--alloc: the server wrote no heap profile to ${allocFile} within 10 s`);
    printAllocations(allocFile);
  }
  if (cpuOnly || perfFile) return;
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!file) throw new Error(`no profile written to ${out}`);
  const p = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
  const s = selfTimes(p, samplesBetween(p, window.from - p.startTime, window.to - p.startTime));
  console.log(`profile ${join(out, file)}: ${(s.busy / 1000).toFixed(0)} ms busy in the timed phase, ${(s.busy / n).toFixed(0)} µs per response\n`);
  console.log(formatSelfTimes(s, 40).join('\n'));
}

interface HeapNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapNode[];
}

/** KB allocated per request in the sampled window, by group and by function (the allocating frame). */
function printAllocations(file: string): void {
  const { requests, profile } = JSON.parse(readFileSync(file, 'utf8')) as { requests: number; profile: { head: HeapNode; samples: { nodeId: number; size: number }[] } };
  const frames = new Map<number, HeapNode['callFrame']>();
  const walk = (n: HeapNode): void => {
    frames.set(n.id, n.callFrame);
    n.children.forEach(walk);
  };
  walk(profile.head);
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const { nodeId, size } of profile.samples) {
    const f = frames.get(nodeId)!;
    const group = groupOf(f);
    total += size;
    byGroup.set(group, (byGroup.get(group) ?? 0) + size);
    const fn = `${f.functionName || '(anonymous)'} ${group}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + size);
  }
  const kb = (bytes: number) => `${(bytes / 1024 / requests).toFixed(2).padStart(6)} KB`;
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${kb(v)}  ${k}`);
  console.log(`allocations: ${file}: ${requests} requests sampled, ${kb(total)} per request (objects collected since included)\n\nby group:\n${top(byGroup, 25).join('\n')}\n\ntop functions (allocating frame):\n${top(byFunction, 30).join('\n')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
