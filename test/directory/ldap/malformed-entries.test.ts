/**
 * A directory server that sends malformed search entries (a broken or hostile server): the
 * import's listing fails with DIRECTORY_UNAVAILABLE, promptly, and writes nothing of the batch,
 * in-thread and on the worker thread. The server is a small TCP peer speaking just enough
 * LDAP (RFC 4511: BindResponse, SearchResultEntry, SearchResultDone) over real sockets. One case
 * is an attribute list whose length runs past its entry, on which ldapts 8.2's own entry parser
 * loops until the heap is exhausted: the import's reader must refuse it instead.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BerReader } from 'ldapts';
import { isFactorgateError } from '../../../src/kit/errors.js';
import { ldapDirectoryConfigSchema } from '../../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { importUsers } from '../../../src/directory/import-users.js';

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const header = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
}
const octets = (v: string | Buffer): Buffer => tlv(0x04, typeof v === 'string' ? Buffer.from(v) : v);
const message = (id: number, op: Buffer): Buffer => tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), op]));
const result = (tag: number): Buffer => tlv(tag, Buffer.concat([tlv(0x0a, Buffer.from([0])), octets(''), octets('')]));

function entry(id: number, n: number): Buffer {
  const attrs = [
    ['objectGUID', Buffer.alloc(16, n)],
    ['sAMAccountName', `user${n}`],
    ['mail', `user${n}@corp.example`],
  ] as const;
  const list = Buffer.concat(attrs.map(([type, value]) => tlv(0x30, Buffer.concat([octets(type), tlv(0x31, octets(value))]))));
  return message(id, tlv(0x64, Buffer.concat([octets(`CN=user${n},DC=corp,DC=example`), tlv(0x30, list)])));
}

/** Ways to spoil the second entry of the answer. */
const SPOIL: Record<string, (good: Buffer) => Buffer> = {
  'an attribute list running past its entry': (good) => {
    const bad = Buffer.from(good);
    const list = bad.indexOf(Buffer.from('DC=example')) + 'DC=example'.length;
    bad[list + 1] = bad[list + 1]! + 1;
    return bad;
  },
  'a value that is not an OCTET STRING': (good) => {
    const bad = Buffer.from(good);
    bad[bad.indexOf(Buffer.from([0x31, 0x12, 0x04, 0x10])) + 2] = 0x05;
    return bad;
  },
  'an attribute type that runs past its attribute': (good) => {
    const bad = Buffer.from(good);
    const type = bad.indexOf(Buffer.from('sAMAccountName')) - 1;
    bad[type] = 0x7f;
    return bad;
  },
};

/** Answers a bind with success and a search with 10 good entries, one spoiled one and a Done. */
function fakeDirectory(spoil: (good: Buffer) => Buffer): Promise<{ server: Server; url: string }> {
  const server = createServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const reader = new BerReader(pending);
        if (reader.readSequence() === null || reader.remain < reader.length) return;
        const end = reader.offset + reader.length;
        const id = reader.readInt()!;
        const op = reader.peek();
        pending = pending.subarray(end);
        if (op === 0x60) socket.write(message(id, result(0x61)));
        else if (op === 0x63) {
          const entries = Array.from({ length: 10 }, (_, n) => entry(id, n));
          socket.write(Buffer.concat([...entries, spoil(entry(id, 10)), entry(id, 11), message(id, result(0x65))]));
        } else if (op === 0x42) socket.end();
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('a directory server that sends malformed entries', () => {
  for (const [what, spoil] of Object.entries(SPOIL)) {
    for (const listInWorker of [false, true]) {
      it(`fails the import with DIRECTORY_UNAVAILABLE and writes nothing: ${what}${listInWorker ? ', on the worker' : ''}`, async () => {
        const { server, url } = await fakeDirectory(spoil);
        const store: Store = await openStore({ driver: 'sqlite', file: ':memory:' });
        const config = ldapDirectoryConfigSchema.parse({
          type: 'ldap',
          urls: [url],
          bindDn: 'CN=svc,DC=corp,DC=example',
          bindPassword: 'x',
          baseDns: ['DC=corp,DC=example'],
          preset: 'activeDirectory',
          timeouts: { connectMs: 1000, operationMs: 5000 },
        });
        const dir = LdapDirectory.fromConfig(config, { listInWorker });
        cleanup.push(
          () => dir.close(),
          () => store.close(),
          () => new Promise<void>((resolve) => server.close(() => resolve())),
        );
        const err = await importUsers({ directory: dir, db: store.db }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
        expect(isFactorgateError(err) && err.detail).toContain('malformed SearchResultEntry');
        const { n } = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        expect(Number(n)).toBe(0);
      }, 20_000);
    }
  }

  it('imports the same answer when nothing is spoiled (the peer is a working directory)', async () => {
    const { server, url } = await fakeDirectory((good) => good);
    const store: Store = await openStore({ driver: 'sqlite', file: ':memory:' });
    const dir = LdapDirectory.fromConfig(
      ldapDirectoryConfigSchema.parse({ type: 'ldap', urls: [url], bindDn: 'CN=svc,DC=corp,DC=example', bindPassword: 'x', baseDns: ['DC=corp,DC=example'], preset: 'activeDirectory' }),
      { listInWorker: false },
    );
    cleanup.push(
      () => dir.close(),
      () => store.close(),
      () => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ added: 12, errors: 0 });
  });
});
