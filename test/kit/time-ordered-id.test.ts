import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from '../../src/kit/time-ordered-id.js';

const FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid (UUIDv7, RFC 9562 §5.7)', () => {
  it('is a version 7, variant 10 UUID whose first 48 bits are the time in ms', () => {
    const ms = Date.UTC(2026, 11, 7, 3, 0, 0, 123);
    const id = timeOrderedUuid(ms);
    expect(id).toMatch(FORM);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
    // RFC 9562's test vector time: 0x017F22E279B0 = 2022-02-22 19:22:22 UTC.
    expect(timeOrderedUuid(0x017f22e279b0).slice(0, 13)).toBe('017f22e2-79b0');
  });

  it('sorts by time as text, and ids of one millisecond differ in their random bits', () => {
    const ms = 1_765_000_000_000;
    const earlier = Array.from({ length: 600 }, () => timeOrderedUuid(ms));
    const later = Array.from({ length: 600 }, () => timeOrderedUuid(ms + 1));
    expect(new Set([...earlier, ...later]).size).toBe(1200);
    for (const a of earlier) for (const b of later.slice(0, 20)) expect(a < b).toBe(true);
    for (const id of [...earlier, ...later]) expect(id).toMatch(FORM);
    // 74 random bits: every position after the version nibble varies across a few hundred ids.
    const tails = new Set(earlier.map((id) => id.slice(15, 18)));
    expect(tails.size).toBeGreaterThan(200);
  });

  it('refuses a time that does not fit 48 bits', () => {
    expect(() => timeOrderedUuid(-1)).toThrow(RangeError);
    expect(() => timeOrderedUuid(2 ** 48)).toThrow(RangeError);
    expect(() => timeOrderedUuid(1.5)).toThrow(RangeError);
  });
});
