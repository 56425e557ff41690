import { describe, expect, it } from 'vitest';
import { PasswordCheckGate } from '../../src/regulation/password-check-gate.js';
import { FactorgateError } from '../../src/kit/errors.js';

function latch() {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { open, done };
}

describe('password check gate', () => {
  it('runs at most maxInFlight checks, hands the turn to the next in order, and never drops one', async () => {
    const gate = new PasswordCheckGate(2, 10_000);
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
    expect(gate.load).toEqual({ inFlight: 2, queued: 2 });
    latches[1]!.open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1, 2]);
    for (const l of latches) l.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(gate.load).toEqual({ inFlight: 0, queued: 0 });
  });

  it('refuses with BUSY (503) a check that found no turn within the wait, and frees the turn of a check that threw', async () => {
    const gate = new PasswordCheckGate(1, 20);
    const l = latch();
    const held = gate.run(() => l.done);
    const refused = await gate.run(async () => 'ran').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FactorgateError);
    expect((refused as FactorgateError).code).toBe('BUSY');
    expect((refused as FactorgateError).status).toBe(503);
    l.open();
    await held;
    await expect(gate.run(async () => Promise.reject(new Error('ldap down')))).rejects.toThrow('ldap down');
    expect(await gate.run(async () => 'next')).toBe('next');
    expect(gate.load).toEqual({ inFlight: 0, queued: 0 });
  });
});
