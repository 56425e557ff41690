/**
 * The benchmarks' own Debian packages (FreeRADIUS, SimpleSAMLphp with php-fpm) come from
 * `bash scripts/install-system-deps.sh --bench`. A scenario that needs one calls this first: when
 * something is missing and we are root (as the test run's global setup does for the suites'
 * packages) it runs that install, otherwise it fails with the one command to run.
 */
import { execFileSync } from 'node:child_process';

export const BENCH_INSTALL_COMMAND = 'sudo bash scripts/install-system-deps.sh --bench';

/** `missing()` answers null when the peer is ready, else what is missing (for the message). */
export function ensureBenchPackages(scenario: string, missing: () => string | null): void {
  const first = missing();
  if (first === null) return;
  if (process.getuid?.() === 0) {
    process.stderr.write(`bench: ${scenario}: ${first}; installing the bench packages\n`);
    execFileSync('bash', ['scripts/install-system-deps.sh', '--bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const still = missing();
  if (still !== null) throw new Error(`${scenario}: ${still}: run ${BENCH_INSTALL_COMMAND}`);
}
