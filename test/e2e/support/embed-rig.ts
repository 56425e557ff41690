/**
 * The pieces the embedding tests run for real: factorgate as the command (`node
 * bin/factorgate.js start`, the compiled build), and examples/express-app as its own process
 * with `factorgate/express` resolved the way an installed app resolves it (a node_modules folder
 * whose `factorgate` is this checkout, with its package.json exports and dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin/factorgate.js');

export interface RunningProcess {
  child: ChildProcess;
  out(): string;
  close(): Promise<void>;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, ready: RegExp, what: string): Promise<RunningProcess> {
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const proc: RunningProcess = {
    child,
    out: () => text,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(late);
    },
  };
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (ready.test(text)) {
        clearInterval(poll);
        resolve(proc);
      } else if (child.exitCode !== null || Date.now() - started > 60_000) {
        clearInterval(poll);
        void proc.close();
        reject(new Error(`${what} did not start (exit ${child.exitCode}):\n${text.slice(-3000)}`));
      }
    }, 100);
  });
}

export function startFactorgate(folder: string, configFile: string): Promise<RunningProcess> {
  return run(process.execPath, [BIN, 'start', '--config', configFile], folder, {}, /factorgate is running at/, 'factorgate');
}

/** examples/express-app copied into `folder`, its packages linked from this checkout. */
export function startExampleApp(folder: string, env: NodeJS.ProcessEnv): Promise<RunningProcess> {
  cpSync(join(ROOT, 'examples/express-app'), folder, { recursive: true, filter: (src) => !src.includes('node_modules') });
  mkdirSync(join(folder, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(folder, 'node_modules/factorgate'), 'dir');
  for (const pkg of ['express', 'express-session', 'passport']) symlinkSync(join(ROOT, 'node_modules', pkg), join(folder, 'node_modules', pkg), 'dir');
  return run(process.execPath, ['src/server.js'], folder, env, /example app listening at/, 'the example app');
}
