// Prints `N passed, N failed` from Vitest's JSON report (the line CI reads); exits 1 if absent.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
// The runner's exit status, when the caller has it: Vitest exits non-zero on an unhandled error
// outside any test while its JSON report still says every test passed.
const runnerStatus = process.argv[3] === undefined ? 0 : Number(process.argv[3]);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  process.stderr.write(`no test report at ${file}\n`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Suites that failed to load count as failures even though no test inside them ran.
const failedSuites = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
let failed = (report.numFailedTests ?? 0) + failedSuites;
if (runnerStatus !== 0 && failed === 0) {
  process.stderr.write(`the test runner exited with ${runnerStatus} although no test failed (an unhandled error: see its output); counted as one failure\n`);
  failed = 1;
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
