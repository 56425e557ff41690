/**
 * A real nginx (Debian's package) for a test: its own prefix, config, pid and logs in a temp
 * folder, in the foreground (`daemon off`), on a port chosen by the test; stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseProxy } from './proxy-process.js';

export const NGINX = '/usr/sbin/nginx';

export interface RunningNginx {
  port: number;
  dir: string;
  errorLog(): string;
  close(): Promise<void>;
}


/** Starts nginx with `servers` (the body of the http block) on `port`. */
export async function startNginx(port: number, servers: string): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-nginx-'));
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} info;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${join(dir, 'client_body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      servers,
      '}',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const close = await superviseProxy({ name: 'nginx', child, port, dir, output: () => stderr, startTimeoutMs: 10_000, stopSignal: 'SIGQUIT', stopGraceMs: 3000 });
  return {
    port,
    dir,
    errorLog: () => readFileSync(join(dir, 'error.log'), 'utf8'),
    close,
  };
}

/** The README's nginx example with its placeholders filled in. */
export function exampleServers(file: string, values: Record<string, string>): string {
  return readFileSync(file, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`no value for {{${k}}}`);
    return v;
  });
}
