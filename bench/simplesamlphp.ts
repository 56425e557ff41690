/**
 * A peer IdP for the `sso-peer` scenario (issue 25 item 6): SimpleSAMLphp 1.19 from Debian
 * (`simplesamlphp`, `php-fpm`, `php-xml`, `nginx`; `bash scripts/install-system-deps.sh --bench`
 * installs them), run from a throwaway folder: its own `config.php`, `authsources.php` (one
 * `exampleauth:UserPass` user), flat-file metadata (the hosted IdP with a fresh RSA-2048 key, the
 * bench SP as `saml20-sp-remote`), PHP sessions in that folder, php-fpm (static pool, opcache as
 * Debian ships it) behind nginx on a free loopback port. Nothing under /etc is read or written
 * except the packages' own files: the config folder reaches SimpleSAMLphp through the
 * SIMPLESAMLPHP_CONFIG_DIR environment variable of the php-fpm pool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateSelfSigned } from '../src/host/bootstrap/signing-keys.js';
import { freePort } from '../test/support/free-port.js';
import { childPids } from '../test/support/proc-children.js';
import { processCpuMs } from './scenarios/cpu.js';

export const SSP_WWW = '/usr/share/simplesamlphp/www';
export const PHP_FPM = '/usr/sbin/php-fpm8.2';
export const NGINX = '/usr/sbin/nginx';

export interface PeerSp {
  entityId: string;
  acs: string;
}

export interface SimpleSamlPhp {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Path of the IdP's SSO endpoint (HTTP-Redirect binding). */
  ssoPath: string;
  /** CPU milliseconds used so far by php-fpm (master and workers) and nginx (master and workers). */
  cpuMs(): number;
  close(): Promise<void>;
}

/** Why the peer cannot run here, or null when every part is installed. */
export function simpleSamlPhpMissing(): string | null {
  const missing = [
    [SSP_WWW, 'simplesamlphp'],
    [PHP_FPM, 'php-fpm (php8.2-fpm)'],
    ['/usr/lib/php/20220829/dom.so', 'php-xml (php8.2-xml)'],
    [NGINX, 'nginx'],
  ].filter(([path]) => !existsSync(path!)).map(([, pkg]) => pkg!);
  return missing.length === 0 ? null : `not installed: ${missing.join(', ')} (run: sudo bash scripts/install-system-deps.sh --bench)`;
}

/** PHP string literal. */
const php = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function writeConfig(dir: string, url: string, sp: PeerSp, user: { username: string; password: string }): void {
  for (const d of ['config', 'metadata', 'cert', 'tmp', 'log', 'sessions', 'nginx']) mkdirSync(join(dir, d), { recursive: true });
  const { certPem, keyPem } = generateSelfSigned('simplesamlphp bench idp', join(dir, 'cert'));
  writeFileSync(join(dir, 'cert/idp.key'), keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'cert/idp.crt'), certPem);
  writeFileSync(
    join(dir, 'config/config.php'),
    `<?php
$config = [
  'baseurlpath' => ${php(`${url}/simplesaml/`)},
  'certdir' => ${php(`${dir}/cert/`)},
  'loggingdir' => ${php(`${dir}/log/`)},
  'datadir' => ${php(`${dir}/tmp/`)},
  'tempdir' => ${php(`${dir}/tmp`)},
  'metadatadir' => ${php(`${dir}/metadata/`)},
  'metadata.sources' => [['type' => 'flatfile', 'directory' => ${php(`${dir}/metadata/`)}]],
  'technicalcontact_email' => 'bench@example.test',
  'secretsalt' => ${php(`bench-${Math.random().toString(36).slice(2)}-salt`)},
  'auth.adminpassword' => ${php(`bench-${Math.random().toString(36).slice(2)}-admin`)},
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
  'logging.level' => SimpleSAML\\Logger::WARNING,
  'logging.handler' => 'file',
  'logging.logfile' => 'simplesamlphp.log',
  'statistics.out' => [],
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${php(`${dir}/sessions`)},
  'session.cookie.secure' => false,
  'session.cookie.samesite' => null,
  'language.cookie.secure' => false,
  'production' => true,
];
`,
  );
  writeFileSync(
    join(dir, 'config/authsources.php'),
    `<?php
$config = [
  'bench-userpass' => ['exampleauth:UserPass', ${php(`${user.username}:${user.password}`)} => ['uid' => [${php(user.username)}], 'mail' => [${php(`${user.username}@example.com`)}]]],
];
`,
  );
  writeFileSync(
    join(dir, 'metadata/saml20-idp-hosted.php'),
    `<?php
$metadata[${php(`${url}/simplesaml/saml2/idp/metadata.php`)}] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'bench-userpass',
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
`,
  );
  // As factorgate's relying party in sso-response: the assertion signed, the Response not.
  writeFileSync(
    join(dir, 'metadata/saml20-sp-remote.php'),
    `<?php
$metadata[${php(sp.entityId)}] = [
  'AssertionConsumerService' => ${php(sp.acs)},
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'simplesaml.nameidattribute' => 'uid',
  'saml20.sign.assertion' => true,
  'saml20.sign.response' => false,
];
`,
  );
}

function writeServers(dir: string, port: number, children: number): void {
  writeFileSync(
    join(dir, 'fpm.conf'),
    `[global]
pid = ${dir}/fpm.pid
error_log = ${dir}/log/fpm.log
daemonize = no
[bench]
user = root
group = root
listen = ${dir}/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = ${children}
clear_env = yes
env[SIMPLESAMLPHP_CONFIG_DIR] = ${dir}/config
php_admin_value[session.save_path] = ${dir}/sessions
`,
  );
  const t = join(dir, 'nginx');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/log/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${t}/body; fastcgi_temp_path ${t}/fcgi; proxy_temp_path ${t}/proxy; uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;
  server {
    listen 127.0.0.1:${port};
    location ^~ /simplesaml/ {
      alias ${SSP_WWW}/;
      location ~ ^/simplesaml/(?<phpfile>.+?\\.php)(?<pathinfo>/.*)?$ {
        include /etc/nginx/fastcgi_params;
        fastcgi_pass unix:${dir}/fpm.sock;
        fastcgi_param SCRIPT_FILENAME ${SSP_WWW}/$phpfile;
        fastcgi_param SCRIPT_NAME /simplesaml/$phpfile;
        fastcgi_param PATH_INFO $pathinfo if_not_empty;
      }
    }
  }
}
`,
  );
}

/** A process's CPU in ms, 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return 0;
  }
}

/**
 * Starts SimpleSAMLphp (php-fpm with `children` workers, nginx with one worker) for one SP and
 * one user; resolves when its metadata answers 200.
 */
export async function startSimpleSamlPhp(opts: { sp: PeerSp; user: { username: string; password: string }; children?: number }): Promise<SimpleSamlPhp> {
  const why = simpleSamlPhpMissing();
  if (why) throw new Error(`SimpleSAMLphp ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-ssp-'));
  // nginx's workers run as an unprivileged user: they must reach the php-fpm socket in here.
  chmodSync(dir, 0o711);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  const logs = (): string =>
    ['fpm.log', 'nginx-error.log', 'simplesamlphp.log']
      .map((f) => join(dir, 'log', f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8').slice(-600))
      .join('\n');
  const stop = async (): Promise<void> => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeConfig(dir, url, opts.sp, opts.user);
    writeServers(dir, port, opts.children ?? 4);
    // -R: the bench runs as root on CI and the pool runs as root (a throwaway folder owned by root).
    procs.push(spawn(PHP_FPM, ['-R', '-F', '-y', join(dir, 'fpm.conf'), '-p', dir], { stdio: 'ignore' }));
    procs.push(spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' }));
    const metadata = `${url}/simplesaml/saml2/idp/metadata.php`;
    const t0 = performance.now();
    for (;;) {
      const exited = procs.find((p) => p.exitCode !== null);
      if (exited) throw new Error(`${exited.spawnfile} exited ${exited.exitCode}: ${logs()}`);
      try {
        const res = await fetch(metadata);
        const body = await res.text();
        if (res.status === 200 && body.includes('IDPSSODescriptor')) break;
        if (res.status !== 502) throw new Error(`metadata answered ${res.status}: ${body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('metadata answered')) throw err;
        /* not listening yet */
      }
      if (performance.now() - t0 > 20_000) throw new Error(`SimpleSAMLphp never answered: ${logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const roots = procs.map((p) => p.pid!);
    return {
      url,
      ssoPath: '/simplesaml/saml2/idp/SSOService.php',
      cpuMs: () => roots.flatMap((pid) => [pid, ...childPids(pid)]).reduce((sum, pid) => sum + cpuOf(pid), 0),
      close: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
