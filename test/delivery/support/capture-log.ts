/** A pino logger writing JSON lines into an array, so tests can assert on log records. */
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** Every line as raw JSON text, for "this string never appears" checks. */
  text(): string;
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void raw.push(s) });
  return {
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
