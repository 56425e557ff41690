/**
 * Durations as the configuration writes them (`90s`, `15m`, `1h`, `1d`): the zod schema every
 * section uses, and the conversion to milliseconds.
 */
import { z } from 'zod';

/** A duration as text: digits, then a unit. */
export const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A configuration duration: a number followed by ms, s, m, h or d. */
export const duration = z
  .string()
  // abort: a refine added after this (a range) never sees text that is not a duration.
  .regex(DURATION, { error: 'expected a duration such as 30s, 15m, 1h', abort: true })
  .describe('A duration: a number followed by ms, s, m, h or d.');

/** `'90s'`, `'15m'`, `'1h'`, `'1d'` → milliseconds. */
export function durationToMs(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
