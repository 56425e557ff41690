import { describe, expect, it } from 'vitest';
import { PasswordCheckGate, shareOfHost } from '../../src/regulation/password-check-gate.js';
import { FactorgateError } from '../../src/kit/errors.js';

function latch() {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { open, done };
}

describe('password check gate', () => {
  it('runs at most maxInFlight checks, hands the turn to the next in order, and never drops one', async () => {
    const gate = new PasswordCheckGate({ maxInFlight: 2, queueWaitMs: 10_000, perSecond: 1000, burst: 100 });
    const order: number[] = [];
    const latches = [latch(), latch(), latch(), latch()];
    const runs = latches.map((l, i) =>
      gate.run(async () => {
        order.push(i);
        await l.done;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    expect(gate.load).toMatchObject({ inFlight: 2, queued: 2 });
    latches[1]!.open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1, 2]);
    for (const l of latches) l.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(gate.load).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('refuses with BUSY (503) a check that found no turn within the wait, and frees the turn of a check that threw', async () => {
    const gate = new PasswordCheckGate({ maxInFlight: 1, queueWaitMs: 20, perSecond: 1000, burst: 100 });
    const l = latch();
    const held = gate.run(() => l.done);
    const refused = await gate.run(async () => 'ran').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FactorgateError);
    expect((refused as FactorgateError).code).toBe('BUSY');
    expect((refused as FactorgateError).status).toBe(503);
    expect((refused as FactorgateError).detail).toContain('1 in flight');
    l.open();
    await held;
    await expect(gate.run(async () => Promise.reject(new Error('ldap down')))).rejects.toThrow('ldap down');
    expect(await gate.run(async () => 'next')).toBe('next');
    expect(gate.load).toMatchObject({ inFlight: 0, queued: 0 });
  });

  describe('the per-second budget', () => {
    /** A gate whose budget clock the test moves; its timers are real but time stands still. */
    function budgeted(limits: { perSecond: number; burst: number; queueWaitMs: number }) {
      const time = { ms: 0 };
      const gate = new PasswordCheckGate({ maxInFlight: 10, ...limits, now: () => time.ms });
      return { gate, time };
    }
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
      expect(cond()).toBe(true);
    };

    it('starts at most `burst` checks at once, then one per token as time brings them, in order, with turns to spare', async () => {
      const { gate, time } = budgeted({ perSecond: 1000, burst: 2, queueWaitMs: 60_000 });
      const started: number[] = [];
      const runs = [0, 1, 2, 3].map((i) => gate.run(async () => void started.push(i)));
      await Promise.all(runs.slice(0, 2));
      expect(started).toEqual([0, 1]);
      // Eight free turns, but no budget: the others wait while the budget clock stands still,
      // however often the gate's own 1 ms timer looks.
      expect(gate.load).toEqual({ inFlight: 0, queued: 2, budget: 0 });
      await new Promise((r) => setTimeout(r, 20));
      expect(started).toEqual([0, 1]);
      time.ms += 1; // one token
      await until(() => started.length === 3);
      expect(started).toEqual([0, 1, 2]);
      expect(gate.load.queued).toBe(1);
      time.ms += 1;
      await Promise.all(runs);
      expect(started).toEqual([0, 1, 2, 3]);
    });

    it('refuses with BUSY a check that found no budget within the wait, and never saves more than `burst`', async () => {
      const { gate, time } = budgeted({ perSecond: 1000, burst: 3, queueWaitMs: 20 });
      await gate.run(async () => 'first');
      await gate.run(async () => 'second');
      await gate.run(async () => 'third');
      const refused = await gate.run(async () => 'ran').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FactorgateError);
      expect((refused as FactorgateError).code).toBe('BUSY');
      expect((refused as FactorgateError).detail).toContain('over the budget of 1000/s');
      expect(gate.load).toEqual({ inFlight: 0, queued: 0, budget: 0 });
      // A quiet hour refills the bucket to its size, not beyond.
      time.ms += 3_600_000;
      expect(gate.load.budget).toBe(3);
      expect(await Promise.all([1, 2, 3].map((i) => gate.run(async () => i)))).toEqual([1, 2, 3]);
      expect(await gate.run(async () => 'over').catch((e: unknown) => (e as FactorgateError).code)).toBe('BUSY');
    });
  });

  it('divides the host\'s limits between server.workers processes, never below one check in flight', () => {
    const host = { maxInFlight: 2, queueWaitMs: 2000, perSecond: 20, burst: 40 };
    expect(shareOfHost(host, 1)).toEqual(host);
    expect(shareOfHost(host, 2)).toEqual({ maxInFlight: 1, queueWaitMs: 2000, perSecond: 10, burst: 20 });
    expect(shareOfHost(host, 4)).toEqual({ maxInFlight: 1, queueWaitMs: 2000, perSecond: 5, burst: 10 });
  });
});
