/** Progress lines of long CLI runs, driven by a fake clock (no sleeping, no timing). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { createProgress, formatDuration } from '../../src/cli/progress.js';

function capture(): { out: PassThrough; lines: () => string[] } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { out, lines: () => text.split('\n').filter(Boolean) };
}

describe('progress of a long run', () => {
  it('prints done/total, the rate and the time left about every 5 %, computed from the clock', () => {
    const clock = new ManualClock(0);
    const { out, lines } = capture();
    const p = createProgress({ total: 1000, unit: 'mails', out, clock });
    for (let i = 0; i < 1000; i++) {
      clock.advance(20); // 50 mails/s
      p.tick();
    }
    const printed = lines();
    expect(printed).toHaveLength(19); // every 50, not at the end (the summary says it)
    expect(printed[0]).toBe('progress 50/1000 (5%), 50.0 mails/s, ETA 19s');
    expect(printed[9]).toBe('progress 500/1000 (50%), 50.0 mails/s, ETA 10s');
  });

  it('says nothing for a short run', () => {
    const { out, lines } = capture();
    const p = createProgress({ total: 99, unit: 'mails', out, clock: new ManualClock(0) });
    for (let i = 0; i < 99; i++) p.tick();
    expect(lines()).toEqual([]);
  });

  it('formats the time left in seconds, minutes or hours', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(113_000)).toBe('1m53s');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });
});
