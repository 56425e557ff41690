/**
 * A CPU profile of the `factorgate start` process over full sign-ins, cut by route: set up as the
 * `full-signin` scenario (throwaway slapd, SAML IdP, TOTP), N users enrolled first, then each signs
 * in once more, one sign-in at a time, while bench/support/route-windows.mjs (preloaded into the
 * server) records when each request started and finished. The profile's samples inside the
 * requests of one route are that route's CPU: self time by group and function, and inclusive time
 * by function (what a call costs with everything it calls), per route.
 *
 *   npx tsx bench/profile-signin.ts [--signins 300] [--route "POST /login"] [--top 40] [--interval 100] [--out DIR] [--cpu-only]
 *
 * `--interval µs`: the sampling interval (default 100; V8's own default, 1000, gives a request a
 * handful of samples). `--node-arg X` (repeatable): more Node options for the server (`--import` a hook).
 * `--perf FILE`: Linux `perf record` (`PERF_FREQ` Hz, default 4999) of the server over the sign-ins
 * instead of V8's profiler, with the request windows written to FILE.windows.json.
 * `--cpu-only`: no profiler, only the server's CPU per request by route (as BENCH_ROUTE_CPU=1).
 * Not a benchmark: the profiler slows the server. Run `npm run build` first (it runs dist/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { startSlapd } from '../test/support/slapd.js';
import { slapdDirectoryConfig } from '../test/support/ldap-directory-config.js';
import { TestBrowser } from '../test/support/http-client.js';
import { authnRequestPath, signInOnce, startSamlHost } from './scenarios/sso-response.js';
import { formatSelfTimes, groupOf, type CpuProfile } from './support/cpu-profile-summary.js';

const WINDOWS_HOOK = join(process.cwd(), 'bench/support/route-windows.mjs');
const ROUTE_CPU_HOOK = join(process.cwd(), 'bench/support/route-cpu.mjs');

type Window = [route: string, fromUs: number, toUs: number];

async function waitForFile(file: string): Promise<string> {
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > 10_000) throw new Error(`${file} was never written`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(file, 'utf8');
}

/** Self and inclusive time (µs) of the samples inside `windows` (µs since the profile's start). */
function cut(profile: CpuProfile, windows: Array<[number, number]>) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let w = 0;
  let t = 0;
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    while (w < sorted.length && sorted[w]![1] < t) w++;
    if (w >= sorted.length) break;
    if (t < sorted[w]![0]) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    busy += dt;
    const name = (f: CpuProfile['nodes'][number]['callFrame']) => `${f.functionName || '(anonymous)'} ${f.url.startsWith('node:') ? f.url : groupOf(f)}:${f.lineNumber + 1}`;
    const g = groupOf(node.callFrame);
    byGroup.set(g, (byGroup.get(g) ?? 0) + dt);
    byFunction.set(name(node.callFrame), (byFunction.get(name(node.callFrame)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') break;
      const k = name(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  return { byGroup, byFunction, busy, inclusive };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      signins: { type: 'string', default: '300' },
      route: { type: 'string', multiple: true, default: ['POST /login', 'POST /mfa/:id'] },
      top: { type: 'string', default: '40' },
      'cpu-only': { type: 'boolean', default: false },
      interval: { type: 'string', default: '100' },
      'node-arg': { type: 'string', multiple: true, default: [] },
      perf: { type: 'string' },
      out: { type: 'string', default: join(tmpdir(), 'factorgate-profiles') },
    },
  });
  const n = Number(values.signins);
  const cpuOnly = values['cpu-only'];
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const before = new Set(readdirSync(out));
  const slapd = await startSlapd({ users: n * 2 + 50 });
  const users = slapd.fixture.users.filter((u) => !u.disabled && u.inMfaGroup && /^user\d+$/.test(u.uid)).slice(0, n);
  const perfFile = values.perf;
  const nodeArgs = [
    ...(values['node-arg'] ?? []),
    ...(perfFile ? ['--perf-basic-prof', '--import', WINDOWS_HOOK] : cpuOnly ? ['--import', ROUTE_CPU_HOOK] : ['--cpu-prof', `--cpu-prof-interval=${values.interval}`, `--cpu-prof-dir=${out}`, '--import', WINDOWS_HOOK]),
  ];
  const raiseBudget = async (configPath: string) => {
    const cfg = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    cfg.regulation = { passwordChecks: { perSecond: 10_000, burst: 10_000 } };
    writeFileSync(configPath, stringify(cfg));
  };
  let windows: Window[] = [];
  let dir = '';
  try {
    const host = await startSamlHost({ directory: slapdDirectoryConfig(slapd) as unknown as Record<string, unknown>, nodeArgs, beforeStart: raiseBudget });
    dir = host.dir;
    try {
      const states = users.map(() => ({}) as { secret?: Buffer; lastCodeAt?: number });
      for (let i = 0; i < users.length; i++) await signInOnce(new TestBrowser(host.url), await authnRequestPath(host.sp), states[i]!, users[i]!.uid, users[i]!.password);
      const paths: string[] = [];
      for (let i = 0; i < users.length; i++) paths.push(await authnRequestPath(host.sp));
      // --perf FILE: Linux `perf record` of the server (kernel included, monotonic timestamps) over the sign-ins.
      const perf = perfFile ? spawn('perf', ['record', '-k', 'mono', '-F', process.env.PERF_FREQ ?? '4999', '-g', '-p', String(host.pid), '-o', perfFile], { stdio: 'ignore' }) : undefined;
      if (perf) await new Promise((r) => setTimeout(r, 500));
      process.kill(host.pid, 'SIGUSR2');
      for (let i = 0; i < users.length; i++) await signInOnce(new TestBrowser(host.url), paths[i]!, states[i]!, users[i]!.uid, users[i]!.password);
      process.kill(host.pid, 'SIGUSR2');
      if (perf) {
        perf.kill('SIGINT');
        await new Promise((r) => perf.once('exit', r));
        writeFileSync(`${perfFile}.windows.json`, await waitForFile(join(host.dir, 'route-windows.json')));
        console.log(`perf: ${perfFile}, request windows (µs, CLOCK_MONOTONIC) in ${perfFile}.windows.json; JIT names in /tmp/perf-${host.pid}.map`);
        return;
      }
      if (cpuOnly) {
        const sums = JSON.parse(await waitForFile(join(host.dir, 'route-cpu.json'))) as Record<string, { count: number; cpuMs: number }>;
        for (const [route, s] of Object.entries(sums)) console.log(`${route.padEnd(22)} ${(s.cpuMs / s.count).toFixed(3)} ms per request (${s.count})`);
        return;
      }
      windows = JSON.parse(await waitForFile(join(host.dir, 'route-windows.json'))) as Window[];
    } finally {
      await host.close();
    }
  } finally {
    await slapd.destroy();
  }
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!file) throw new Error(`no profile written to ${out} (${dir})`);
  const p = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;
  console.log(`profile ${join(out, file)}; ${n} sign-ins one at a time`);
  for (const route of values.route ?? []) {
    const mine = windows.filter((w) => w[0] === route).map((w): [number, number] => [w[1] - p.startTime, w[2] - p.startTime]);
    const s = cut(p, mine);
    console.log(`\n=== ${route}: ${mine.length} requests, ${(s.busy / 1000 / Math.max(1, mine.length)).toFixed(3)} ms sampled per request (profiler on)\n`);
    console.log(formatSelfTimes(s, Number(values.top)).join('\n'));
    console.log('\ninclusive (with callees):');
    const pct = (us: number) => `${((100 * us) / s.busy).toFixed(1).padStart(5)} %`;
    for (const [f, us] of [...s.inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top) * 2)) console.log(`${pct(us)} ${(us / Math.max(1, mine.length)).toFixed(0).padStart(6)} µs/req  ${f}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
