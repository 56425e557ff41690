/**
 * Start-up: process start to `/readyz` answering 200, with an existing data folder (the second
 * start), against a bare Node HTTP server started and probed the same way in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/directory/password-hash.js';
import { freePort } from '../../test/support/free-port.js';
import type { Scenario, ScenarioResult } from './scenario.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

async function timeToReady(args: string[], url: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const res = await fetch(url);
        if (res.status === 200) return (performance.now() - t0) / 1000;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - t0 > 30_000) throw new Error(`${url} never became ready`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export const startupScenario: Scenario = {
  name: 'start-up',
  async run({ quick }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const dir = mkdtempSync(join(tmpdir(), 'fg-bench-start-'));
    try {
      writeFileSync(join(dir, 'users.yaml'), stringify({ users: [{ username: 'u', passwordHash: await hashPassword('p') }] }));
      const port = await freePort();
      const cfg = join(dir, 'factorgate.yaml');
      writeFileSync(cfg, stringify({ dataDir: join(dir, 'data'), server: { port, host: '127.0.0.1' }, logging: { level: 'warn' }, directory: { type: 'file', path: 'users.yaml' } }));
      const url = `http://127.0.0.1:${port}/readyz`;
      await timeToReady([MAIN, 'start', '--config', cfg], url); // first start creates the data folder and keys
      const rounds = quick ? 2 : 5;
      const ours: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < rounds; i++) {
        ours.push(await timeToReady([MAIN, 'start', '--config', cfg], url));
        bare.push(
          await timeToReady(['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`], url),
        );
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const value = median(ours);
      const baseline = median(bare);
      return {
        name: 'start-up',
        ratioMeaning: 'factorgate start-to-ready ÷ bare node HTTP server start-to-ready',
        ratio: value / baseline,
        value,
        unit: 's',
        baseline,
        baselineUnit: 's',
        target: 'under 1 s',
        met: value < 1,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
