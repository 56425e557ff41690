/**
 * What the nginx and Caddy test harnesses share: wait until the spawned proxy listens on its port
 * (or fail with its output if it exits first), then stop it with its graceful signal, SIGKILL after
 * a grace period, and remove its temp folder.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

function waitForPort(name: string, port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${name} did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface ProxyProcessOptions {
  name: string;
  child: ChildProcess;
  port: number;
  /** Its temp folder, removed at close or when it fails to start. */
  dir: string;
  /** What it printed so far (for the error when it exits before listening). */
  output: () => string;
  startTimeoutMs: number;
  stopSignal: NodeJS.Signals;
  stopGraceMs: number;
}

/** Resolves once the proxy listens; the returned `close` stops it and removes its folder. */
export async function superviseProxy(o: ProxyProcessOptions): Promise<() => Promise<void>> {
  const exited = new Promise<void>((resolve) => o.child.once('exit', () => resolve()));
  try {
    await Promise.race([waitForPort(o.name, o.port, Date.now() + o.startTimeoutMs), exited.then(() => Promise.reject(new Error(`${o.name} exited: ${o.output()}`)))]);
  } catch (err) {
    o.child.kill('SIGTERM');
    rmSync(o.dir, { recursive: true, force: true });
    throw err;
  }
  return async () => {
    o.child.kill(o.stopSignal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, o.stopGraceMs))]);
    if (o.child.exitCode === null) o.child.kill('SIGKILL');
    rmSync(o.dir, { recursive: true, force: true });
  };
}
