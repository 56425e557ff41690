/**
 * The `factorgate` command as a user runs it: through npx, through a symlink to the bin file,
 * and from a copy installed out of the packed tarball. Each must run the command (not print
 * nothing and exit 0), fail a bad configuration with exit 2 and the problem on stderr, and end
 * quietly when its output is piped into `head`.
 *
 * The installed copy: `npm pack`, then `npm install --prefer-offline --ignore-scripts` of the
 * tarball into a temp folder (dependencies come from the npm cache that `npm ci` filled, the
 * registry only for what is missing). `--ignore-scripts` skips better-sqlite3's two-minute
 * compile; its native module is copied from this checkout's build instead (same version, same
 * Node), so the installed copy can open a real store. About 15 s in all.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/store.js';
import { makeTempDir } from '../support/host-harness.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin/factorgate.js');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(file: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, FACTORGATE_CONFIG: '' }, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out, err });
    });
  });
}

function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(file, stringify({ dataDir: join(dir, 'data'), directory: { type: 'file', path: 'users.yaml' }, ...extra }));
  return file;
}

function writeBadConfig(dir: string): string {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'server:\n  port: "x"\n');
  return file;
}

/** Exit code 2, nothing on stdout, the file and the key on stderr. */
function expectBadConfigRefused(r: Run, file: string): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toContain(`${file}: server.port: expected number, received string`);
}

beforeAll(() => {
  // The executables run the compiled CLI: compile this checkout (incremental, a few seconds).
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

// Each case starts real processes (npx alone is about a second of npm): generous timeouts, so a
// busy CI machine does not fail them; nothing here measures speed.
vi.setConfig({ testTimeout: 120_000 });

describe('npx factorgate', () => {
  it('prints the usage for --help and exits 0', async () => {
    const r = await run('npx', ['--no-install', 'factorgate', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: factorgate <command>/);
    expect(r.out).toContain('check-config');
  });

  it('check-config fails on a bad file and on a missing one, naming the file', async () => {
    const dir = makeTempDir('fg-exe-');
    const bad = writeBadConfig(dir);
    expectBadConfigRefused(await run('npx', ['--no-install', 'factorgate', 'check-config', '--config', bad]), bad);
    const missing = join(dir, 'missing.yaml');
    const r = await run('npx', ['--no-install', 'factorgate', 'check-config', '--config', missing]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${missing}: file not found`);
  });

  it('check-config passes a good file', async () => {
    const dir = makeTempDir('fg-exe-');
    const good = writeConfig(dir);
    const r = await run('npx', ['--no-install', 'factorgate', 'check-config', '--config', good]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${good}: OK`);
  });
});

describe('the bin file reached through a symlink', () => {
  it('runs the command like node_modules/.bin/factorgate does', async () => {
    const dir = makeTempDir('fg-exe-');
    const link = join(dir, 'factorgate');
    symlinkSync(BIN, link);
    const help = await run(link, ['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: factorgate/);
    const bad = writeBadConfig(dir);
    expectBadConfigRefused(await run(link, ['check-config', '--config', bad], dir), bad);
  });
});

describe('a copy installed from the packed tarball', () => {
  let installed: string;
  let folder: string;

  beforeAll(() => {
    folder = makeTempDir('fg-install-');
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', folder], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    const files = execFileSync('tar', ['-tzf', join(folder, tarball)], { encoding: 'utf8' });
    expect(files).toContain('package/bin/factorgate.js');
    expect(files).toContain('package/dist/src/cli/main.js');
    expect(files).toContain('package/dist/adapters/index.js');
    expect(files).not.toContain('package/src/');
    expect(files).not.toContain('package/test/');
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'factorgate-install-probe', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${tarball}`], { cwd: folder, stdio: 'pipe' });
    // better-sqlite3's native module, built for this Node by this checkout's `npm ci`.
    const require = createRequire(join(ROOT, 'package.json'));
    const ours = dirname(require.resolve('better-sqlite3/package.json'));
    const theirs = join(folder, 'node_modules/better-sqlite3');
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(version(theirs)).toBe(version(ours));
    mkdirSync(join(theirs, 'build/Release'), { recursive: true });
    copyFileSync(join(ours, 'build/Release/better_sqlite3.node'), join(theirs, 'build/Release/better_sqlite3.node'));
    installed = join(folder, 'node_modules/.bin/factorgate');
  }, 180_000);

  // The installed copy is about 80 MB of node_modules: not left behind in /tmp.
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs --help, refuses a bad configuration and lists users from a real store', async () => {
    const help = await run(installed, ['--help'], folder);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: factorgate/);
    const bad = writeBadConfig(folder);
    expectBadConfigRefused(await run(installed, ['check-config', '--config', bad], folder), bad);
    const list = await run(installed, ['users', 'list', '--config', writeConfig(folder)], folder);
    expect(list.err).toBe('');
    expect(list.code).toBe(0);
    expect(list.out).toBe('USER\tNAME\tEMAIL\tSTATUS\tLOCK\tMETHODS\tLAST SIGN-IN\n');
    // The store it created is private: folder 0700, database 0600.
    expect(statSync(join(folder, 'data')).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, 'data', 'factorgate.db')).mode & 0o777).toBe(0o600);
  });
});

describe('output piped into head', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    dir = makeTempDir('fg-pipe-');
    config = writeConfig(dir);
    const store = await openStore({ driver: 'sqlite', file: join(dir, 'data', 'factorgate.db') });
    try {
      // Far more than a pipe's 64 KiB buffer, so writes go on after `head` has exited.
      const users = Array.from({ length: 6000 }, (_, i) => ({
        id: randomUUID(),
        username: `user${String(i).padStart(5, '0')}`,
        external_id: null,
        source: 'file',
        upn: null,
        display_name: `User Number ${i}`,
        given_name: null,
        surname: null,
        email: `user${i}@example.test`,
        phone: null,
        mobile: null,
        disabled: 0,
        failed_attempts: 0,
        locked_until: null,
        created_at: 0,
        updated_at: 0,
        last_sign_in_at: null,
      }));
      for (let i = 0; i < users.length; i += 500) await store.db.insertInto('users').values(users.slice(i, i + 500)).execute();
      const events = users.map((u, i) => ({ id: randomUUID(), ts: i, event: 'challenge', user_id: u.id, username: u.username, result: 'success', server_name: 'test' }));
      for (let i = 0; i < events.length; i += 500) await store.db.insertInto('audit_events').values(events.slice(i, i + 500)).execute();
    } finally {
      await store.close();
    }
  });

  /** Runs `factorgate ARGS | head -1` in bash; returns head's output, factorgate's stderr and exit status. */
  async function throughHead(args: string[]): Promise<{ line: string; err: string; status: string }> {
    const errFile = join(dir, `stderr-${randomUUID()}`);
    const script = `"$0" "$@" 2>"${errFile}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
    const r = await run('bash', ['-c', script, BIN, ...args], dir);
    return { line: r.out, err: readFileSync(errFile, 'utf8'), status: r.err.trim() };
  }

  it('users list ends quietly: the header, no stack, exit 0', async () => {
    const r = await throughHead(['users', 'list', '--config', config]);
    expect(r.line).toBe('USER\tNAME\tEMAIL\tSTATUS\tLOCK\tMETHODS\tLAST SIGN-IN\n');
    expect(r.err).toBe('');
    expect(r.status).toBe('status=0');
  });

  it('users list --json and audit export end quietly too', async () => {
    const json = await throughHead(['users', 'list', '--json', '--config', config]);
    expect(json.line).toBe('[\n');
    expect(json.err).toBe('');
    expect(json.status).toBe('status=0');
    const audit = await throughHead(['audit', 'export', '--format', 'csv', '--config', config]);
    expect(audit.line).toMatch(/^id,ts,event,result,/);
    expect(audit.err).toBe('');
    expect(audit.status).toBe('status=0');
  });

  it('without head, the whole listing is printed', async () => {
    const r = await run(BIN, ['users', 'list', '--config', config], dir);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(6001);
    expect(lines[6000]).toBe('user05999\tUser Number 5999\tuser5999@example.test\tenabled\t-\t-\tnever');
  });
});
