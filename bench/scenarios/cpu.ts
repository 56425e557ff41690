/**
 * CPU time, the measure the shared machine disturbs least: a server's user + system time from
 * /proc/<pid>/stat (all its threads), and this process's own from `process.cpuUsage()`. Wall-clock
 * rates swing with the machine's load; CPU spent per request does much less.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sign, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { stopServer } from '../support/stop-server.js';
import { freePort } from '../../test/support/free-port.js';
export { childPids } from '../../test/support/proc-children.js';

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
const TICK_MS = 1000 / clockTicksPerSecond();

/**
 * User + system CPU of a /proc `stat` file, in ms: `/proc/<pid>/stat` for a whole process,
 * `/proc/<pid>/task/<tid>/stat` for one thread.
 */
export function statCpuMs(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3,
  // utime field 14 and stime field 15 of the whole line.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

/** User + system CPU a process (every thread of it) has used since it started, in ms. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** User and system CPU of a process (every thread) since it started, in ms, apart. */
export function processCpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(rest[11]) * TICK_MS, system: Number(rest[12]) * TICK_MS };
}

/** This process's CPU (user + system, all threads) since `from`, in ms. */
export function ownCpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** Raw RSA-2048 SHA-256 signatures with a KeyObject over `ms`: per second (wall) and CPU ms per signature. */
export function measureRsa(key: KeyObject, ms: number): { perSec: number; cpuMsPerSignature: number } {
  const data = Buffer.alloc(1024, 7);
  for (let i = 0; i < 20; i++) sign('sha256', data, key);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let el = 0;
  while ((el = performance.now() - t0) < ms) {
    for (let i = 0; i < 10; i++) sign('sha256', data, key);
    n += 10;
  }
  return { perSec: n / (el / 1000), cpuMsPerSignature: ownCpuMsSince(cpu0) / n };
}

/** A bare Express app (one route, a small HTML page) in its own process: the floor of one request. */
export async function startBareExpress(): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const port = await freePort();
  const page = '<!doctype html><html><head><title>bare</title></head><body><form method="post"><input name="a"></form></body></html>';
  const src = `const e=require('express')();e.get('/',(q,s)=>s.type('html').send(${JSON.stringify(page)}));e.listen(${port},'127.0.0.1')`;
  const child = spawn(process.execPath, ['-e', src], { cwd: process.cwd(), stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/`)).status === 200) break;
    } catch {
      if (tries > 500 || child.exitCode !== null) throw new Error('the bare Express app never answered');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    url,
    pid: child.pid!,
    async close() {
      await stopServer(child);
    },
  };
}
