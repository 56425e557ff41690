/** A pino logger whose records the test can read (to assert outage records and that no password is logged). */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  logger: Logger;
  records: Record<string, unknown>[];
  text(): string;
  messages(): string[];
}

export function captureLogger(): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    get records() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => lines.join('\n'),
    messages: () => lines.map((l) => String((JSON.parse(l) as { msg?: string }).msg)),
  };
}
