/**
 * Where a `node --cpu-prof` profile's time went: self time grouped by package (node_modules),
 * by our module (src/…, adapters/…), Node internals, GC and native, plus the top functions.
 * The profile is cut into busy phases separated by ≥ 300 ms of idle (a bench's untimed set-up,
 * its RSA measurement and its timed phase show up apart); `--phase N` (1-based; `--phase=-1` the last)
 * counts one of them only.
 *
 *   npx tsx bench/support/cpu-profile-summary.ts FILE.cpuprofile [--phase N] [--top 30]
 *
 * bench/profile-sso.ts uses the same functions on the window of its timed phase.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
/** Samples `from` to `to` (indexes, both included). */
export interface SampleRange {
  from: number;
  to: number;
}
export interface SelfTimes {
  /** µs of self time by group (see `groupOf`). */
  byGroup: Map<string, number>;
  /** µs of self time by function (`name group:line`). */
  byFunction: Map<string, number>;
  /** µs not idle in the range. */
  busy: number;
}

/** The group a frame's self time counts for: a package, our module, a Node internal, GC or native. */
export function groupOf(f: CallFrame): string {
  if (f.url === '') return f.functionName.startsWith('(') ? f.functionName : `(native) ${f.functionName}`;
  if (f.url.startsWith('node:')) return `node:${f.url.slice(5).split('/')[0]}`;
  const nm = f.url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = f.url.slice(nm + 14).split('/');
    return `pkg ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const m = /\/dist\/((?:src|adapters)\/.*)$/.exec(f.url) ?? /\/((?:src|adapters)\/.*)$/.exec(f.url);
  return m ? m[1]! : f.url;
}

const IDLE_GAP_US = 300_000;

/** Busy phases: runs of samples separated by ≥ 300 ms of (idle). */
export function busyPhases(profile: CpuProfile): SampleRange[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const phases: SampleRange[] = [];
  let idleRun = 0;
  let start = -1;
  let lastBusy = -1;
  for (let i = 0; i < profile.samples.length; i++) {
    const idle = byId.get(profile.samples[i]!)!.callFrame.functionName === '(idle)';
    if (idle) {
      idleRun += profile.timeDeltas[i] ?? 0;
      if (idleRun >= IDLE_GAP_US && start >= 0) {
        phases.push({ from: start, to: lastBusy });
        start = -1;
      }
    } else {
      idleRun = 0;
      if (start < 0) start = i;
      lastBusy = i;
    }
  }
  if (start >= 0) phases.push({ from: start, to: lastBusy });
  return phases;
}

/** The samples taken between `fromUs` and `toUs`, in µs since the profile's start (V8 stamps it with the clock `process.hrtime` reads). */
export function samplesBetween(profile: CpuProfile, fromUs: number, toUs: number): SampleRange {
  let t = 0;
  let from = -1;
  let to = -1;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    if (from < 0) from = i;
    to = i;
  }
  return { from, to };
}

/** Self time of the samples in `range`, by group and by function. */
export function selfTimes(profile: CpuProfile, range: SampleRange = { from: 0, to: profile.samples.length - 1 }): SelfTimes {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (let i = Math.max(range.from, 0); i <= range.to; i++) {
    const f = byId.get(profile.samples[i]!)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0; // a sample's time is the delta to the next one
    busy += dt;
    const g = groupOf(f);
    byGroup.set(g, (byGroup.get(g) ?? 0) + dt);
    const fn = `${f.functionName || '(anonymous)'} ${g}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  }
  return { byGroup, byFunction, busy };
}

/** The report's lines: self time by group, then the top functions. */
export function formatSelfTimes(s: SelfTimes, top: number): string[] {
  const pct = (us: number) => `${((100 * us) / s.busy).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const out: string[] = ['self time by group:'];
  for (const [g, us] of [...s.byGroup].sort((a, b) => b[1] - a[1]).slice(0, 60)) out.push(`${pct(us)} ${ms(us)}  ${g}`);
  out.push('', 'top functions (self):');
  for (const [f, us] of [...s.byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`${pct(us)} ${ms(us)}  ${f}`);
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { phase: { type: 'string' }, top: { type: 'string', default: '30' } }, allowPositionals: true });
  if (positionals.length !== 1) {
    process.stderr.write('usage: cpu-profile-summary FILE.cpuprofile [--phase N] [--top 30]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
  const phases = busyPhases(profile);
  const phaseArg = values.phase === undefined ? undefined : Number(values.phase);
  const chosen = phaseArg === undefined ? { from: 0, to: profile.samples.length - 1 } : phases.at(phaseArg > 0 ? phaseArg - 1 : phaseArg);
  if (!chosen) throw new Error(`no phase ${values.phase} (${phases.length} phases)`);
  const s = selfTimes(profile, chosen);
  const out: string[] = [];
  out.push(`phases (busy runs between ≥ 300 ms idle): ${phases.map((p, i) => `${i + 1}: ${p.to - p.from + 1} samples`).join(', ')}`);
  out.push(`counted: ${phaseArg === undefined ? 'whole profile' : `phase ${phaseArg}`}, busy ${(s.busy / 1000).toFixed(0)} ms`);
  out.push('', ...formatSelfTimes(s, Number(values.top)));
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
