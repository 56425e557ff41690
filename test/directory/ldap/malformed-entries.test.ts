/**
 * A directory server that sends malformed search entries (a broken or hostile server): the
 * import's listing fails with DIRECTORY_UNAVAILABLE, promptly, and writes nothing of the batch,
 * in-thread and on the worker thread. The server is a small TCP peer speaking just enough
 * LDAP (RFC 4511: BindResponse, SearchResultEntry, SearchResultDone) over real sockets. One case
 * is an attribute list whose length runs past its entry, on which ldapts 8.2's own entry parser
 * loops until the heap is exhausted: the import's reader must refuse it instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from 'ldapts';
import { isFactorgateError } from '../../../src/kit/errors.js';
import { ldapDirectoryConfigSchema } from '../../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { resolveLdapSettings } from '../../../src/directory/ldap/settings.js';
import { SearchEntryRows } from '../../../src/directory/ldap/search-entry-rows.js';
import { tapSearchEntries } from '../../../src/directory/ldap/search-entry-tap.js';
import { pagedRowSearch, MAX_EMPTY_PAGES } from '../../../src/directory/ldap/paged-row-search.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { done, entry, fakeLdapPeer, type FakeLdapPeer, type SearchCall } from '../../support/fake-ldap-peer.js';

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

/** Answers a search with 10 good entries, one spoiled one, a good one and a Done. */
const spoiledAnswer =
  (spoil: (good: Buffer) => Buffer) =>
  ({ id, socket }: SearchCall): void => {
    const entries = Array.from({ length: 10 }, (_, n) => entry(id, n));
    socket.write(Buffer.concat([...entries, spoil(entry(id, 10)), entry(id, 11), done(id)]));
  };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function peer(search: (call: SearchCall) => void): Promise<FakeLdapPeer> {
  const p = await fakeLdapPeer(search);
  cleanup.push(() => p.close());
  return p;
}

const directoryConfig = (url: string, more: Record<string, unknown> = {}) =>
  ldapDirectoryConfigSchema.parse({
    type: 'ldap',
    urls: [url],
    bindDn: 'CN=svc,DC=corp,DC=example',
    bindPassword: 'x',
    baseDns: ['DC=corp,DC=example'],
    preset: 'activeDirectory',
    timeouts: { connectMs: 1000, operationMs: 5000 },
    ...more,
  });

/** Runs the import against `url`: the error it failed with (if any), its result, and the users written. */
async function runImport(url: string, listInWorker: boolean, more: Record<string, unknown> = {}) {
  const store: Store = await openStore({ driver: 'sqlite', file: ':memory:' });
  const dir = LdapDirectory.fromConfig(directoryConfig(url, more), { listInWorker });
  cleanup.push(
    () => store.close(),
    () => dir.close(),
  );
  const outcome = await importUsers({ directory: dir, db: store.db }).then(
    (r) => ({ result: r, err: undefined }),
    (e: unknown) => ({ result: undefined, err: e }),
  );
  const { n } = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { ...outcome, users: Number(n) };
}

function expectUnavailable(err: unknown, detail: string): void {
  expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
  expect(isFactorgateError(err) && err.detail).toContain(detail);
}

describe('a directory server that sends malformed entries', () => {
  for (const [what, spoil] of Object.entries(SPOIL)) {
    for (const listInWorker of [false, true]) {
      it(`fails the import with DIRECTORY_UNAVAILABLE and writes nothing: ${what}${listInWorker ? ', on the worker' : ''}`, async () => {
        const { url } = await peer(spoiledAnswer(spoil));
        const { err, users } = await runImport(url, listInWorker);
        expectUnavailable(err, 'malformed SearchResultEntry');
        expect(users).toBe(0);
      }, 20_000);
    }
  }

  it('imports the same answer when nothing is spoiled (the peer is a working directory)', async () => {
    const { url } = await peer(spoiledAnswer((good) => good));
    const { result, users } = await runImport(url, false);
    expect(result).toMatchObject({ added: 12, errors: 0 });
    expect(users).toBe(12);
  });
});

/**
 * Messages that must never reach ldapts 8.2's parser (it loops for ever on the first two) or be
 * read as rows: each follows three good entries of the search; the import fails, promptly, and
 * the connection is closed.
 */
const HOSTILE: Record<string, { bytes: (id: number) => Buffer; detail: string }> = {
  "a SearchResultEntry whose protocolOp runs past its message (the reviewer's repro)": {
    bytes: (id) => Buffer.from([0x30, 0x0d, 0x02, 0x01, id, 0x64, 0x84, 0x00, 0x00, 0x10, 0x00, 0x04, 0x00, 0x30, 0x10]),
    detail: 'malformed LDAPMessage: a protocolOp (0x64) running past its message',
  },
  'a SearchResultEntry whose message id is 0 bytes long': {
    bytes: () => Buffer.from([0x30, 0x08, 0x02, 0x00, 0x64, 0x04, 0x04, 0x00, 0x30, 0x00]),
    detail: 'malformed LDAPMessage: a messageID of 0 bytes',
  },
  'a message whose outer tag is not a SEQUENCE': {
    bytes: (id) => Buffer.from([0x31, 0x03, 0x02, 0x01, id]),
    detail: 'LDAP message does not frame: tag 0x31',
  },
  'a message claiming a length of 4 GB': {
    bytes: (id) => Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xf0, 0x02, 0x01, id, 0x64]),
    detail: 'above the 16777216-byte limit',
  },
  'a SearchResultEntry for a message id no search has open': {
    bytes: (id) => entry(id + 7, 3),
    detail: 'unsolicited SearchResultEntry (message id',
  },
};

describe('a directory server that sends messages the import never hands to ldapts', () => {
  for (const [what, { bytes, detail }] of Object.entries(HOSTILE)) {
    for (const listInWorker of [false, true]) {
      it(`fails the import and closes the connection: ${what}${listInWorker ? ', on the worker' : ''}`, async () => {
        const p = await peer(({ id, socket }) => {
          socket.write(Buffer.concat([entry(id, 0), entry(id, 1), entry(id, 2), bytes(id), entry(id, 4), done(id)]));
        });
        const { err, users } = await runImport(p.url, listInWorker);
        expectUnavailable(err, detail);
        expect(users).toBe(0);
        await expect.poll(() => p.closed(), { timeout: 5000 }).toBe(1);
      }, 20_000);
    }
  }

  it('reads an entry of 300 KB that arrives in 1 KB chunks', async () => {
    const { url } = await peer(({ id, socket }) => {
      socket.setNoDelay(true);
      const answer = Buffer.concat([entry(id, 1, [['description', Buffer.alloc(300_000, 0x61)]]), entry(id, 2), done(id)]);
      for (let at = 0; at < answer.length; at += 1024) socket.write(answer.subarray(at, at + 1024));
    });
    const { result, users } = await runImport(url, false);
    expect(result).toMatchObject({ added: 2, errors: 0 });
    expect(users).toBe(2);
  });
});

describe('a directory server that pages for ever', () => {
  const PAGING: Record<string, { answer: (call: SearchCall) => Buffer; detail: string; more?: Record<string, unknown> }> = {
    'the same cookie and an entry on every page, past maxListEntries': {
      answer: ({ id, n }) => Buffer.concat([entry(id, n % 200), done(id, Buffer.from('same'))]),
      detail: 'more than 30 entries (maxListEntries)',
      more: { maxListEntries: 30 },
    },
    'the same cookie on every page, and no entry': {
      answer: ({ id }) => done(id, Buffer.from('same')),
      detail: `${MAX_EMPTY_PAGES} pages in a row without an entry`,
    },
    'a new cookie on every page, and no entry': {
      answer: ({ id, n }) => done(id, Buffer.from(`page ${n}`)),
      detail: `${MAX_EMPTY_PAGES} pages in a row without an entry`,
    },
    'a new cookie and an entry on every page, past maxListEntries': {
      answer: ({ id, n }) => Buffer.concat([entry(id, n % 200), done(id, Buffer.from(`page ${n}`))]),
      detail: 'more than 30 entries (maxListEntries)',
      more: { maxListEntries: 30 },
    },
  };
  for (const [what, { answer, detail, more }] of Object.entries(PAGING)) {
    for (const listInWorker of [false, true]) {
      it(`fails the import with DIRECTORY_UNAVAILABLE: ${what}${listInWorker ? ', on the worker' : ''}`, async () => {
        const { url } = await peer((call) => call.socket.write(answer(call)));
        const { err } = await runImport(url, listInWorker, more);
        expectUnavailable(err, detail);
      }, 30_000);
    }
  }

  it('pages on while the server returns the same cookie, as Samba AD does, until an empty one', async () => {
    const { url } = await peer(({ id, n, socket }) => {
      // Searches n = 0..3: two entries each, the same cookie on the first three, then an empty one.
      socket.write(Buffer.concat([entry(id, 2 * n), entry(id, 2 * n + 1), done(id, n < 3 ? Buffer.from('same') : Buffer.alloc(0))]));
    });
    const { result, users } = await runImport(url, false);
    expect(result).toMatchObject({ added: 8, errors: 0 });
    expect(users).toBe(8);
  });

  it('pages through new cookies until an empty one (three pages, one empty, then the end)', async () => {
    const { url } = await peer(({ id, n, socket }) => {
      const entries = n === 1 ? [] : [entry(id, 2 * n), entry(id, 2 * n + 1)];
      socket.write(Buffer.concat([...entries, done(id, n < 3 ? Buffer.from(`page ${n}`) : Buffer.alloc(0))]));
    });
    const { result, users } = await runImport(url, false);
    expect(result).toMatchObject({ added: 6, errors: 0 });
    expect(users).toBe(6);
  });
});

describe('the search-entry tap', () => {
  async function boundClient(search: (call: SearchCall) => void): Promise<{ client: Client; p: FakeLdapPeer }> {
    const p = await peer(search);
    const client = new Client({ url: p.url, timeout: 5000 });
    cleanup.push(() => client.unbind().catch(() => undefined));
    await client.bind('CN=svc,DC=corp,DC=example', 'x');
    return { client, p };
  }
  const settings = resolveLdapSettings(directoryConfig('ldap://127.0.0.1'));
  const search = { filter: '(objectClass=user)', attributes: ['objectGUID', 'sAMAccountName'], explicitBufferAttributes: ['objectGUID'], pageSize: 10, maxEntries: 100 };

  it('turns an error of the entry reader that is not a shape error into a failed search, not an uncaught exception', async () => {
    const { client } = await boundClient(({ id, socket }) => socket.write(Buffer.concat([entry(id, 1), done(id)])));
    const reader = new SearchEntryRows(settings.attributes);
    reader.read = () => {
      throw new TypeError('the reader broke');
    };
    const tap = tapSearchEntries(client, reader);
    cleanup.push(async () => tap.remove());
    const pages = pagedRowSearch(client, 'DC=corp,DC=example', search, tap);
    await expect(pages.next()).rejects.toThrow('reading the search answer failed: the reader broke');
    expect(client.isConnected).toBe(false);
    // No further search starts on the failed connection (ldapts would reconnect it).
    await expect(pagedRowSearch(client, 'DC=corp,DC=example', search, tap).next()).rejects.toThrow('the reader broke');
  });

  it('destroys a connection still open when removed, so no later byte reaches ldapts\'s parser', async () => {
    const { client, p } = await boundClient(() => undefined);
    const tap = tapSearchEntries(client, new SearchEntryRows(settings.attributes));
    expect(client.isConnected).toBe(true);
    tap.remove();
    expect(client.isConnected).toBe(false);
    await expect.poll(() => p.closed(), { timeout: 5000 }).toBe(1);
  });
});
