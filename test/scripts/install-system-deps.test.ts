import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBinDir } from '../support/postgres.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/install-system-deps.sh', import.meta.url));
const dirs: string[] = [];

/** A PATH folder holding only the named tools (symlinks to the real ones). */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-path-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  for (const t of tools) {
    const which = spawnSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8' });
    symlinkSync(which.stdout.trim(), join(dir, t));
  }
  return dir;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('scripts/install-system-deps.sh', () => {
  it('finds every package the suites need on a prepared machine, without root', () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', 'bash', SCRIPT, '--check'], { encoding: 'utf8' });
    expect(r.stdout).toBe('system packages: all present\n');
    expect(r.status).toBe(0);
  });

  it('as a non-root user with packages missing, fails with the one command to run', () => {
    // dpkg-query and pg_config are absent from this PATH: every package reads as missing.
    const path = pathWith(['bash', 'id', 'grep', 'ls', 'sort']);
    const r = spawnSync('runuser', ['-u', 'nobody', '--', '/usr/bin/env', `PATH=${path}`, 'bash', SCRIPT], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^system packages missing \(slapd ldap-utils .* fonts-dejavu-core\) and not root; run: sudo bash scripts\/install-system-deps\.sh\n$/);
    const check = spawnSync('/usr/bin/env', [`PATH=${path}`, 'bash', SCRIPT, '--check'], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/^system packages missing: slapd /);
  });

  it('refuses an unknown option', () => {
    const r = spawnSync('bash', [SCRIPT, '--frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: /);
  });
});

describe('finding the PostgreSQL server binaries', () => {
  it('agrees with the script and names a folder holding initdb and pg_ctl', () => {
    const script = spawnSync('bash', [SCRIPT, '--postgres-bindir'], { encoding: 'utf8' });
    expect(script.status).toBe(0);
    const dir = postgresBinDir();
    expect(script.stdout.trim()).toBe(dir);
    expect(spawnSync(join(dir, 'initdb'), ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^initdb \(PostgreSQL\) \d+/);
  });

  it('falls back to the Debian layout when pg_config is not on PATH', () => {
    const path = pathWith(['bash', 'ls', 'sort']);
    const fromScript = spawnSync('/usr/bin/env', [`PATH=${path}`, 'bash', SCRIPT, '--postgres-bindir'], { encoding: 'utf8' });
    expect(fromScript.status).toBe(0);
    expect(fromScript.stdout.trim()).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/);
    expect(postgresBinDir({ PATH: path })).toBe(fromScript.stdout.trim());
  });
});
