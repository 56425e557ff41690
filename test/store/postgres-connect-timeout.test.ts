/**
 * A PostgreSQL server that accepts the TCP connection and then says nothing (a hung server, a
 * proxy in front of a dead one): opening the store fails with a store error naming the timeout,
 * instead of waiting forever, and the error counts as an outage (503, not 500).
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { isStoreOutage } from '../../src/store/store-outage.js';
import { FactorgateError } from '../../src/kit/errors.js';

describe('PostgreSQL connection timeout', () => {
  it('gives up on a silent server and reports an outage', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await openStore({ driver: 'postgres', connectionString: `postgres://app:pw@127.0.0.1:${port}/factorgate`, poolSize: 1 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FactorgateError);
      expect((err as FactorgateError).detail).toMatch(/timeout/i);
      expect(isStoreOutage(err)).toBe(true);
      expect((err as FactorgateError).detail).not.toContain(':pw@');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});
