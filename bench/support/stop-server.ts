/** Stopping a server process the bench started, with a limit. */
import type { ChildProcess } from 'node:child_process';

/** How long a server may take to exit after SIGTERM before the bench kills it. */
const STOP_GRACE_MS = 20_000;

/**
 * SIGTERM, then SIGKILL if the server has not exited within STOP_GRACE_MS. A server that never
 * exits must not stall a run (it did: a full memory run waited for ever here, and the failure that
 * had ended its phase was never printed); the kill is said on stderr, so it shows.
 */
export async function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_GRACE_MS)))]);
  clearTimeout(timer);
  if (!late) return;
  process.stderr.write(`bench: server (pid ${proc.pid}) had not exited ${STOP_GRACE_MS / 1000} s after SIGTERM; killed\n`);
  proc.kill('SIGKILL');
  await exited;
}
