/**
 * Runs once before the suites, so that `npm ci && npm test` is the whole set-up on a fresh
 * Debian/Ubuntu machine: the real-service suites need Debian packages (slapd, Samba, xmlsec1,
 * the Python SAML peers, oathtool, Chromium, a PostgreSQL server) that
 * `scripts/install-system-deps.sh` lists. As root, what is missing is installed with that
 * script; otherwise the run fails with the one command to run. Never a skip.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/install-system-deps.sh', import.meta.url));
const INSTALL_COMMAND = 'sudo bash scripts/install-system-deps.sh';

/** What the script's --check reports missing, or null when everything is present. */
function missingPackages(): string | null {
  const r = spawnSync('bash', [SCRIPT, '--check'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return (r.stderr || r.stdout).trim().replace(/^system packages missing: /, '') || `the check exited with ${r.status}`;
}

export default function setup(): void {
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
