/**
 * Runs once before the suites, so that `npm ci && npm test` is the whole set-up on a fresh
 * Debian/Ubuntu machine: the real-service suites need Debian packages (slapd, Samba, xmlsec1,
 * the Python SAML peers, oathtool, Chromium, a PostgreSQL server) that
 * `scripts/install-system-deps.sh` lists. As root, what is missing is installed with that
 * script; otherwise the run fails with the one command to run. Never a skip.
 * Suites that run the real `factorgate` command (bin/factorgate.js → dist/) need a current
 * build: it is rebuilt here when a source file is newer than the last build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_INFO = join(ROOT, 'dist', '.tsbuildinfo');

const SCRIPT = fileURLToPath(new URL('../../scripts/install-system-deps.sh', import.meta.url));
const INSTALL_COMMAND = 'sudo bash scripts/install-system-deps.sh';

/** What the script's --check reports missing, or null when everything is present. */
function missingPackages(): string | null {
  const r = spawnSync('bash', [SCRIPT, '--check'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return (r.stderr || r.stdout).trim().replace(/^system packages missing: /, '') || `the check exited with ${r.status}`;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale(): void {
  const built = existsSync(BUILD_INFO) ? statSync(BUILD_INFO).mtimeMs : 0;
  if (built >= Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'adapters')))) return;
  process.stdout.write('dist/ is older than the sources: npm run build\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal}); the suites that run bin/factorgate.js need it`);
  // tsc leaves its build info alone when no output changed (a file only touched).
  if (existsSync(BUILD_INFO)) utimesSync(BUILD_INFO, new Date(), new Date());
}

export default function setup(): void {
  ensureSystemPackages();
  buildIfStale();
}

function ensureSystemPackages(): void {
  const missing = missingPackages();
  if (missing === null) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`system packages missing for the test suites (${missing}); run: ${INSTALL_COMMAND}`);
  }
  process.stdout.write(`system packages missing (${missing}): installing them with scripts/install-system-deps.sh\n`);
  const install = spawnSync('bash', [SCRIPT], { stdio: 'inherit' });
  if (install.status !== 0) {
    throw new Error(`installing the system packages failed (exit ${install.status ?? install.signal}; apt-get's output is above); run: ${INSTALL_COMMAND}`);
  }
  const still = missingPackages();
  if (still !== null) throw new Error(`system packages still missing after installing: ${still}`);
}
