/**
 * Issue 20 review: the RADIUS section writes its times as durations like every other section
 * (`duplicateWindow: 10s`, `stateLifetime: 5m`); the integer keys of earlier releases
 * (`duplicateWindowSeconds`, `stateSeconds`, documented) still work alone.
 */
import { describe, expect, it } from 'vitest';
import { duplicateWindowMs, radiusConfigSchema, stateLifetimeMs } from '../../../adapters/radius/config.js';
import { radiusSection } from './support.js';

const parse = (extra: Record<string, unknown>) => radiusConfigSchema.safeParse(radiusSection({}, extra));
const times = (extra: Record<string, unknown>) => {
  const r = parse(extra);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  return { duplicateMs: duplicateWindowMs(r.data), stateMs: stateLifetimeMs(r.data) };
};
const problems = (extra: Record<string, unknown>) => {
  const r = parse(extra);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the RADIUS section\'s durations', () => {
  it('defaults to 10 s and 5 min', () => {
    expect(times({})).toEqual({ duplicateMs: 10_000, stateMs: 300_000 });
  });

  it('takes duration strings', () => {
    expect(times({ duplicateWindow: '30s', stateLifetime: '15m' })).toEqual({ duplicateMs: 30_000, stateMs: 900_000 });
    expect(times({ duplicateWindow: '2m', stateLifetime: '1h' })).toEqual({ duplicateMs: 120_000, stateMs: 3_600_000 });
  });

  it('still reads the documented integer seconds', () => {
    expect(times({ duplicateWindowSeconds: 20, stateSeconds: 600 })).toEqual({ duplicateMs: 20_000, stateMs: 600_000 });
  });

  it('refuses both spellings at once, out-of-range times and numbers where a duration is expected, naming the key', () => {
    expect(problems({ duplicateWindow: '10s', duplicateWindowSeconds: 10 })).toEqual(['duplicateWindowSeconds: set duplicateWindow or duplicateWindowSeconds, not both']);
    expect(problems({ stateLifetime: '5m', stateSeconds: 300 })).toEqual(['stateSeconds: set stateLifetime or stateSeconds, not both']);
    expect(problems({ duplicateWindow: '3m' })).toEqual(['duplicateWindow: from 1s to 2m']);
    expect(problems({ stateLifetime: '10s' })).toEqual(['stateLifetime: from 30s to 1h']);
    expect(problems({ stateLifetime: 300 })[0]).toMatch(/^stateLifetime: /);
    expect(problems({ duplicateWindow: 'ten seconds' })[0]).toMatch(/^duplicateWindow: expected a duration/);
  });
});
