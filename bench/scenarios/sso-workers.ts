/**
 * SSO responses with `server.workers: 2` against one worker, in the same run (issue 25 item 3).
 * Two hosts are started in turn from the same built command, each with the SAML IdP and one
 * relying party, a session signed in through /login and TOTP; the same number of AuthnRequests
 * is fired at each with the same concurrency over kept-alive connections (node:cluster spreads the
 * connections over the workers).
 *
 * The ratio is measured by CPU time, because the load generator shares the machine's two cores:
 * the capacity of a host is the cores it may use ÷ the CPU it spends per response (every process
 * counted: the primary's connection hand-offs as well as the workers), so
 *   ratio = (2 ÷ CPU per response with two workers) ÷ (1 ÷ CPU per response with one).
 * 2.0 is perfect scaling; what workers add per response (the hand-off, two stores' caches,
 * contention on SQLite's write lock that burns CPU) pulls it down. The wall-clock rate ratio and
 * the load average are reported beside it: on a machine whose cores the load generator also
 * uses, the wall ratio cannot show the capacity.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { TestBrowser } from '../../test/support/http-client.js';
import { childPids, processCpuMs, processCpuSplitMs } from './cpu.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { authnRequestPath, fire, signInOnce, startSamlHost } from './sso-response.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

interface Run {
  rate: number;
  cpuMsPerResponse: number;
  primaryCpuMsPerResponse: number;
  /** The busiest worker's share of the workers' CPU (0.5: evenly spread). */
  busiestWorkerShare: number;
  /** Of the CPU per response, the part spent in the kernel (system time). */
  systemCpuMsPerResponse: number;
}

async function measure(workers: number, n: number, warm: number, concurrency: number): Promise<Run> {
  const host = await startSamlHost({ workers });
  try {
    const b = new TestBrowser(host.url);
    await signInOnce(b, await authnRequestPath(host.sp), {});
    const cookie = b.cookieHeader();
    // Each worker is warmed as much as the single one: every process compiles the same code.
    const warmAll = warm * workers;
    const paths: string[] = [];
    for (let i = 0; i < n + warmAll; i++) paths.push(await authnRequestPath(host.sp));
    const w = await fire(host.url, paths.slice(0, warmAll), cookie, concurrency);
    if (w.ok !== warmAll) throw new Error(`warm-up with ${workers} worker(s): ${w.ok}/${warmAll} (statuses ${JSON.stringify(w.statuses)})`);
    const pids = workers > 1 ? childPids(host.pid) : [];
    if (workers > 1 && pids.length !== workers) throw new Error(`expected ${workers} workers under pid ${host.pid}, found ${pids.length}`);
    const all = [host.pid, ...pids];
    const before = all.map(processCpuMs);
    const systemBefore = all.map((pid) => processCpuSplitMs(pid).system);
    const r = await fire(host.url, paths.slice(warmAll), cookie, concurrency);
    const spent = all.map((pid, i) => processCpuMs(pid) - before[i]!);
    const system = all.map((pid, i) => processCpuSplitMs(pid).system - systemBefore[i]!).reduce((a, c) => a + c, 0);
    if (r.ok !== n) throw new Error(`${r.ok}/${n} responses with ${workers} worker(s) (statuses ${JSON.stringify(r.statuses)})`);
    const total = spent.reduce((a, c) => a + c, 0);
    const workerCpu = workers > 1 ? spent.slice(1) : spent;
    return {
      rate: r.ok / r.seconds,
      cpuMsPerResponse: total / n,
      primaryCpuMsPerResponse: workers > 1 ? spent[0]! / n : 0,
      busiestWorkerShare: Math.max(...workerCpu) / workerCpu.reduce((a, c) => a + c, 0),
      systemCpuMsPerResponse: system / n,
    };
  } finally {
    await host.close();
  }
}

export const ssoWorkersScenario: Scenario = {
  name: 'sso-workers',
  async run({ quick }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const n = quick ? 2000 : 20_000;
    const warm = quick ? 200 : 1000;
    const concurrency = 8;
    const load0 = loadavg()[0]!;
    const one = await measure(1, n, warm, concurrency);
    const two = await measure(2, n, warm, concurrency);
    const ratio = (2 / two.cpuMsPerResponse) / (1 / one.cpuMsPerResponse);
    return {
      name: 'sso-workers',
      ratioMeaning: 'SSO capacity with server.workers: 2 ÷ with one worker, by CPU time: (2 cores ÷ CPU ms per response, primary and workers) ÷ (1 core ÷ CPU ms per response)',
      ratio,
      value: 2 / two.cpuMsPerResponse * 1000,
      unit: 'responses/s of capacity on 2 cores',
      baseline: 1 / one.cpuMsPerResponse * 1000,
      baselineUnit: 'responses/s of capacity on 1 core',
      target: 'at least 1.5',
      met: ratio >= 1.5,
      extra: {
        requests: n,
        concurrency,
        oneWorkerRate: one.rate,
        twoWorkerRate: two.rate,
        wallRatio: two.rate / one.rate,
        oneWorkerCpuMsPerResponse: one.cpuMsPerResponse,
        twoWorkerCpuMsPerResponse: two.cpuMsPerResponse,
        primaryCpuMsPerResponse: two.primaryCpuMsPerResponse,
        oneWorkerSystemCpuMsPerResponse: one.systemCpuMsPerResponse,
        twoWorkerSystemCpuMsPerResponse: two.systemCpuMsPerResponse,
        busiestWorkerShare: two.busiestWorkerShare,
        loadAverageBefore: load0,
        loadAverageAfter: loadavg()[0]!,
      },
    };
  },
};
