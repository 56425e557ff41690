/**
 * A real Caddy (Debian's package) for a test: the Caddyfile given, its data and config folders
 * in a temp folder (XDG_DATA_HOME / XDG_CONFIG_HOME), no admin endpoint, no automatic https, in
 * the foreground on a port chosen by the test; stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseProxy } from './proxy-process.js';

export const CADDY = '/usr/bin/caddy';

export interface RunningCaddy {
  port: number;
  output(): string;
  close(): Promise<void>;
}


/** Starts Caddy with `sites` (Caddyfile site blocks) on `port`, behind a global block that turns off the admin API and automatic https. */
export async function startCaddy(port: number, sites: string): Promise<RunningCaddy> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-caddy-'));
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n}\n\n${sites}`);
  const child: ChildProcess = spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const close = await superviseProxy({ name: 'caddy', child, port, dir, output: () => output, startTimeoutMs: 15_000, stopSignal: 'SIGTERM', stopGraceMs: 5000 });
  return {
    port,
    output: () => output,
    close,
  };
}
