/**
 * Runs once before the suites: the real-service suites need Debian packages that
 * `scripts/install-system-deps.sh` installs. A missing one fails the run loudly, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const REQUIRED_BINARIES = [
  '/usr/sbin/slapd',
  '/usr/bin/ldapsearch',
  '/usr/bin/xmlsec1',
  '/usr/bin/oathtool',
  '/usr/bin/chromium',
];

export default function setup(): void {
  const missing = REQUIRED_BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(
      `missing system tools: ${missing.join(', ')}; run: sudo bash scripts/install-system-deps.sh`,
    );
  }
  // The Python SAML peers import only with Debian's interpreter (RECIPES.md).
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import saml2, onelogin.saml2'], { stdio: 'pipe' });
  } catch {
    throw new Error('python3-pysaml2 / python3-onelogin-saml2 missing: run scripts/install-system-deps.sh');
  }
}
