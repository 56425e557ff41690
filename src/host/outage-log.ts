/**
 * One log line per outage interval instead of one per refused request: while the store is
 * down every request fails the same way, and a line (with a stack) for each buried the log
 * (168 error lines in 27 s). The first refusal is logged at once; later ones are counted and
 * the count is logged with the next line, at most one per interval.
 */
import type { Logger } from 'pino';
import type { Clock } from '../kit/clock.js';

export class OutageLog {
  readonly #seen = new Map<string, { at: number; refused: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /** Reports one refusal caused by outage `what`; logs only when the interval has passed. */
  refused(what: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock.now();
    const seen = this.#seen.get(what);
    if (seen && now - seen.at < this.intervalMs) {
      seen.refused += 1;
      return;
    }
    this.logger.error({ ...fields, outage: what, refusedSinceLastLine: seen?.refused ?? 0, intervalSeconds: this.intervalMs / 1000 }, message);
    this.#seen.set(what, { at: now, refused: 0 });
  }
}
