/**
 * `npm run bench` (full) and `npm run bench -- --quick` (seconds; CI runs it so the benchmarks
 * never rot, with no thresholds). Each scenario reports a ratio against a baseline measured in
 * the same run, because absolute times drift on shared machines. Results are printed as a table
 * and written to bench/results/latest.json. `--only NAME[,NAME]` runs a subset;
 * `--memory-users N` sizes the memory scenario (default 1,000,000; 20,000 with --quick).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Scenario, ScenarioResult } from './scenarios/scenario.js';
import { scenarios } from './scenarios/index.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'memory-users': { type: 'string' } }, strict: true });
const quick = values.quick;
const only = values.only?.split(',').map((s) => s.trim());
const memoryUsers = values['memory-users'] === undefined ? undefined : Number(values['memory-users']);
if (memoryUsers !== undefined && !(Number.isInteger(memoryUsers) && memoryUsers > 0)) throw new Error(`--memory-users: expected a positive whole number, got ${values['memory-users']}`);
const selected: Scenario[] = only ? scenarios.filter((s) => only.includes(s.name)) : scenarios;

const results: ScenarioResult[] = [];
const failures: { name: string; error: string }[] = [];
for (const s of selected) {
  process.stderr.write(`bench: ${s.name}${quick ? ' (quick)' : ''}…\n`);
  try {
    results.push(await s.run({ quick, memoryUsers }));
  } catch (err) {
    failures.push({ name: s.name, error: err instanceof Error ? err.message : String(err) });
    process.stderr.write(`bench: ${s.name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3));
const rows = results.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, `${fmt(r.baseline)} ${r.baselineUnit}`, fmt(r.ratio), r.cpuRatio === undefined ? '' : fmt(r.cpuRatio), r.target, r.met ? 'met' : 'MISSED']);
const header = ['scenario', 'value', 'baseline (same run)', 'ratio', 'CPU ratio', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
for (const r of results) process.stdout.write(`  ${r.name}: ratio = ${r.ratioMeaning}\n`);
for (const f of failures) process.stdout.write(`  ${f.name}: FAILED (${f.error})\n`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), quick, machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version }, results, failures }, null, 2)}\n`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
