/**
 * RADIUS round trips: Access-Request → Access-Accept per second for the one-field form
 * (`password,code` with a TOTP code) through factorgate, against FreeRADIUS on a trivial users
 * file (cleartext passwords, PAP) in the same run, with the same client: radclient
 * (freeradius-utils) in its own process, the same parallelism, Message-Authenticator on every
 * request. factorgate runs in this process (SQLite store, file directory, logging at warn);
 * each user signs in once (a TOTP step is accepted once per factor). Not a test: no
 * thresholds. Run with `npx tsx bench/radius.ts [--users 200] [--parallel 4]`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readlinkSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBenchPackages } from './bench-packages.js';
import { systemClock } from '../src/kit/clock.js';
import { generateTotp } from '../src/otp/index.js';
import { freePort } from '../test/support/free-port.js';
import { enrolTotp, radiusSection, run, SECRET, startRadiusHost } from '../test/adapters/radius/support.js';

export interface RadiusBenchOptions {
  /** Users, each signing in once. Default 200. */
  users?: number;
  /** Requests radclient keeps in flight. Default 4 (the host checks 2 passwords at once). */
  parallel?: number;
}

export interface RadiusBenchResult {
  users: number;
  parallel: number;
  /** factorgate: accepted one-field sign-ins per second. */
  factorgatePerSec: number;
  /** FreeRADIUS on a users file: accepted PAP requests per second. */
  freeradiusPerSec: number;
  ratio: number;
  factorgateAccepted: number;
  freeradiusAccepted: number;
}

const PASSWORD = 'bench-password-1';
const BATCH = 20;

/** radclient over a file of requests; accepted count and wall time. */
async function radclientRun(port: number, secret: string, requests: string[], parallel: number): Promise<{ accepted: number; seconds: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-radius-bench-'));
  const file = join(dir, 'requests.txt');
  writeFileSync(file, requests.join('\n'));
  const t0 = performance.now();
  const out = await run('radclient', ['-s', '-q', '-p', String(parallel), '-r', '10', '-t', '2', '-f', file, `127.0.0.1:${port}`, 'auth', secret], '');
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  const accepted = Number(/Accepted\s*:\s*(\d+)/.exec(out)?.[1] ?? 0);
  return { accepted, seconds, out };
}

/** FreeRADIUS in the foreground on a copy of Debian's raddb: one site (files + pap), one client. */
async function startFreeradius(users: string[], secret: string): Promise<{ port: number; stop(): Promise<void> }> {
  ensureBenchPackages('radius', () => (existsSync('/etc/freeradius/3.0') ? null : 'FreeRADIUS is not installed'));
  const dir = mkdtempSync(join(tmpdir(), 'fg-freeradius-'));
  const raddb = join(dir, 'raddb');
  cpSync('/etc/freeradius/3.0', raddb, { recursive: true, verbatimSymlinks: true });
  const port = await freePort();
  // Run as the current user (no switch to freerad: the copy belongs to us), one trivial site.
  const conf = join(raddb, 'radiusd.conf');
  const { readFileSync } = await import('node:fs');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^(\s*)(user|group) = freerad/gm, '$1#$2 = freerad'));
  for (const f of ['sites-enabled/default', 'sites-enabled/inner-tunnel', 'mods-enabled/eap']) if (existsSync(join(raddb, f)) || isLink(join(raddb, f))) unlinkSync(join(raddb, f));
  writeFileSync(join(raddb, 'sites-enabled/bench'), `server bench {\n listen {\n  type = auth\n  ipaddr = 127.0.0.1\n  port = ${port}\n }\n authorize {\n  files\n  pap\n }\n authenticate {\n  pap\n }\n}\n`);
  writeFileSync(join(raddb, 'clients.conf'), `client local {\n ipaddr = 127.0.0.1\n secret = ${secret}\n require_message_authenticator = yes\n}\n`);
  writeFileSync(join(raddb, 'mods-config/files/authorize'), users.map((u) => `${u} Cleartext-Password := "${PASSWORD}"\n`).join(''));
  const child = spawn('freeradius', ['-f', '-d', raddb, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`FreeRADIUS did not start:\n${log}`)), 15_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to process requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`FreeRADIUS exited (${code}):\n${log}`)));
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function isLink(p: string): boolean {
  try {
    readlinkSync(p);
    return true;
  } catch {
    return false;
  }
}

export async function runRadiusBench(options: RadiusBenchOptions = {}): Promise<RadiusBenchResult> {
  const n = options.users ?? 200;
  const parallel = options.parallel ?? 4;
  const names = Array.from({ length: n }, (_, i) => `bench${i}`);

  // Baseline first: FreeRADIUS, same client, same requests without the code.
  const fr = await startFreeradius(names, SECRET);
  let baseline;
  try {
    baseline = await radclientRun(fr.port, SECRET, names.map((u) => `User-Name = "${u}"\nUser-Password = "${PASSWORD}"\nMessage-Authenticator = 0x00\n`), parallel);
  } finally {
    await fr.stop();
  }

  const h = await startRadiusHost({
    users: names.map((username) => ({ username, password: PASSWORD })),
    config: { logging: { level: 'warn' } },
    radius: radiusSection(),
  });
  try {
    const secrets = names.map((_, i) => Buffer.from(`bench-totp-secret-${String(i).padStart(6, '0')}`));
    for (let i = 0; i < n; i++) await enrolTotp(h, names[i]!, secrets[i]!);
    // In batches of BATCH users, each with codes of the current step: a TOTP code is accepted
    // within ±1 step (RFC 6238 §5.2), and one long file would outlive its first codes.
    const fg = { accepted: 0, seconds: 0, out: '' };
    for (let from = 0; from < n; from += BATCH) {
      const now = systemClock.now();
      const batch = names.slice(from, from + BATCH).map((u, j) => `User-Name = "${u}"\nUser-Password = "${PASSWORD},${generateTotp(secrets[from + j]!, now)}"\nMessage-Authenticator = 0x00\n`);
      const r = await radclientRun(h.port, SECRET, batch, parallel);
      fg.accepted += r.accepted;
      fg.seconds += r.seconds;
      fg.out += r.out;
    }
    if (fg.accepted !== n) throw new Error(`factorgate accepted ${fg.accepted} of ${n}:\n${fg.out}`);
    if (baseline.accepted !== n) throw new Error(`FreeRADIUS accepted ${baseline.accepted} of ${n}:\n${baseline.out}`);
    const factorgatePerSec = fg.accepted / fg.seconds;
    const freeradiusPerSec = baseline.accepted / baseline.seconds;
    return { users: n, parallel, factorgatePerSec, freeradiusPerSec, ratio: factorgatePerSec / freeradiusPerSec, factorgateAccepted: fg.accepted, freeradiusAccepted: baseline.accepted };
  } finally {
    await h.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { users: { type: 'string' }, parallel: { type: 'string' } } });
  const r = await runRadiusBench({ users: values.users ? Number(values.users) : undefined, parallel: values.parallel ? Number(values.parallel) : undefined });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  void fileURLToPath;
}
