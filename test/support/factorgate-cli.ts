/**
 * Runs the real `factorgate` command (`node bin/factorgate.js …`, the compiled build the global
 * setup keeps current) as a separate process, asynchronously so servers in the test process
 * (SMTP, HTTP) can answer it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/factorgate.js', import.meta.url));

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export function runFactorgate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  // Only what the command needs from the environment: no FACTORGATE_* of the developer's shell.
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}
