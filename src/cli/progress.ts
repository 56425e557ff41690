/**
 * Progress of a long CLI run on stderr: done/total, rate and the time left, about every 5 % of
 * the work (never more often than every 10 items), so a run over thousands of users shows it is
 * alive and when it will end. Short runs (under `minTotal` items) print nothing.
 */
import type { Clock } from '../kit/clock.js';

export interface Progress {
  /** One more item finished. */
  tick(): void;
}

export interface ProgressOptions {
  total: number;
  /** What is counted, plural ("mails"). */
  unit: string;
  out: NodeJS.WritableStream;
  clock: Clock;
  /** Default 100. */
  minTotal?: number;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const { total, unit, out, clock } = opts;
  if (total < (opts.minTotal ?? 100)) return { tick: () => {} };
  const every = Math.max(10, Math.ceil(total / 20));
  const started = clock.now();
  let done = 0;
  return {
    tick() {
      done++;
      if (done % every !== 0 || done === total) return;
      const elapsed = Math.max(1, clock.now() - started);
      const rate = (done * 1000) / elapsed;
      const eta = ((total - done) * elapsed) / done;
      out.write(`progress ${done}/${total} (${Math.floor((done * 100) / total)}%), ${rate.toFixed(1)} ${unit}/s, ETA ${formatDuration(eta)}\n`);
    },
  };
}
