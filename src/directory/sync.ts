/**
 * The scheduled re-import (`directory.sync.interval`). One run at start, then one every
 * interval counted from the end of the previous run, so two runs never overlap however slow
 * the directory is. A failed run is logged and the schedule goes on; nothing is thrown to the
 * event loop.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Directory } from './directory.js';
import type { Database } from '../store/schema.js';
import type { Clock } from '../kit/clock.js';
import { importUsers, type ImportSummary } from './import-users.js';

export interface DirectorySyncOptions {
  directory: Directory;
  db: Kysely<Database>;
  clock?: Clock | undefined;
  intervalMs: number;
  logger: Logger;
  source?: string | undefined;
  /** Called after each successful run (tests and metrics). */
  onRun?: ((summary: ImportSummary) => void) | undefined;
}

/** Starts the schedule; the returned function stops it and waits for a run in progress. */
export function startDirectorySync(options: DirectorySyncOptions): () => Promise<void> {
  const log = options.logger.child({ component: 'directory-sync' });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule(options.intervalMs);
      });
    }, ms);
    // The schedule alone must not keep the process alive at shutdown.
    timer.unref();
  };

  const runOnce = async (): Promise<void> => {
    try {
      const summary = await importUsers({
        directory: options.directory,
        db: options.db,
        clock: options.clock,
        source: options.source,
        logger: undefined,
      });
      log.info(
        { added: summary.added, updated: summary.updated, disabled: summary.disabled, unchanged: summary.unchanged, errors: summary.errors, durationMs: summary.durationMs },
        `directory sync: ${summary.added} added, ${summary.updated} updated, ${summary.disabled} disabled, ${summary.unchanged} unchanged, ${summary.errors} errors`,
      );
      options.onRun?.(summary);
    } catch (err) {
      log.error({ err }, 'directory sync failed; retrying at the next interval');
    }
  };

  schedule(0);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
