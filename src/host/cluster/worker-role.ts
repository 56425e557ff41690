/**
 * A host's place among the `server.workers` processes (node:cluster). The primary forks each
 * worker with its slot in the environment; a worker that replaces another (crash, rolling
 * restart) takes the same slot. Work that must run once per host (the sweep of expired rows,
 * the directory sync) runs in slot 1 only, so two workers never run it side by side.
 */
import { availableParallelism } from 'node:os';

/** The environment variables the primary sets for each worker it forks. */
export const WORKER_SLOT_ENV = 'FACTORGATE_WORKER_SLOT';
export const WORKER_COUNT_ENV = 'FACTORGATE_WORKER_COUNT';

export interface WorkerRole {
  /** 1..count. */
  readonly slot: number;
  readonly count: number;
  /** Slot 1: runs the once-per-host work (sweeps, directory sync). */
  readonly runsHostWideTasks: boolean;
  /** What GET /metrics answers: every live worker's metrics, summed by the primary. */
  collectMetrics(): Promise<string>;
}

/** `server.workers` as a number of processes: `auto` is one per core the process may use. */
export function workerCount(setting: 'auto' | number): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** The slot and count this worker was forked with, or null when the environment does not name them. */
export function slotFromEnv(env: NodeJS.ProcessEnv): { slot: number; count: number } | null {
  const slot = Number(env[WORKER_SLOT_ENV]);
  const count = Number(env[WORKER_COUNT_ENV]);
  if (!Number.isInteger(slot) || !Number.isInteger(count) || slot < 1 || slot > count) return null;
  return { slot, count };
}
