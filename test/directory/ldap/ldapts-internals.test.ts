/**
 * The import's search-entry tap (src/directory/ldap/search-entry-tap.ts) replaces ldapts's
 * private `messageParser.read` and relies on more of its Client's private members. These tests
 * fail when the installed ldapts no longer has that shape or behaviour, so an upgrade is a
 * deliberate change: ldapts is pinned to one exact version in package.json.
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, MessageParserError } from 'ldapts';
import { ldaptsInternals } from '../../../src/directory/ldap/search-entry-tap.js';
import { fakeLdapPeer, type FakeLdapPeer } from '../../support/fake-ldap-peer.js';

const packageJson = (path: string): { version?: string; dependencies?: Record<string, string> } => JSON.parse(readFileSync(path, 'utf8'));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function bound(): Promise<{ client: Client; p: FakeLdapPeer }> {
  const p = await fakeLdapPeer(() => undefined);
  const client = new Client({ url: p.url, timeout: 5000 });
  cleanup.push(
    () => p.close(),
    () => client.unbind().catch(() => undefined),
  );
  await client.bind('CN=svc,DC=corp,DC=example', 'x');
  return { client, p };
}

type Raw = { messageDetailsByMessageId: Map<string, { message: { protocolOperation: number } }>; socketDataHandler: (data: Buffer) => void };

describe('the ldapts internals the search-entry tap relies on', () => {
  it('ldapts is pinned to the exact version installed', () => {
    const pinned = packageJson('package.json').dependencies?.ldapts;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(packageJson('node_modules/ldapts/package.json').version).toBe(pinned);
  });

  it('a Client has the private members, and its socket once connected', async () => {
    expect(() => ldaptsInternals(new Client({ url: 'ldap://127.0.0.1:1' }))).not.toThrow();
    const { client } = await bound();
    const internals = ldaptsInternals(client);
    expect(internals.socket).toBeInstanceOf(Socket);
    internals.destroySocket();
    expect(internals.socket).toBeUndefined();
    expect(client.isConnected).toBe(false);
  });

  it('refuses a client without them', () => {
    expect(() => ldaptsInternals({} as Client)).toThrow('needs the pinned ldapts version');
  });

  it("the socket's bytes go to messageParser.read with the pending-operation map", async () => {
    const { client } = await bound();
    const internals = ldaptsInternals(client);
    const raw = client as unknown as Raw;
    const seen: unknown[][] = [];
    const original = internals.messageParser.read;
    internals.messageParser.read = (...args) => void seen.push(args);
    try {
      raw.socketDataHandler(Buffer.from([0x30, 0x00]));
    } finally {
      internals.messageParser.read = original;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toEqual(Buffer.from([0x30, 0x00]));
    expect(seen[0]![1]).toBe(raw.messageDetailsByMessageId);
  });

  it("an open search is in the map as a SearchRequest (0x63), and the parser's 'error' with its message id rejects it", async () => {
    const { client } = await bound();
    const raw = client as unknown as Raw;
    const search = client.search('DC=corp,DC=example', { filter: '(objectClass=*)' });
    const outcome = search.then(
      () => undefined,
      (e: unknown) => e,
    );
    await expect.poll(() => raw.messageDetailsByMessageId.size).toBe(1);
    const [[id, { message }]] = [...raw.messageDetailsByMessageId];
    expect(message.protocolOperation).toBe(0x63);
    const failure = new MessageParserError('refused by the test');
    failure.messageDetails = { messageId: Number(id), protocolOperation: 0x64 };
    ldaptsInternals(client).messageParser.emit('error', failure);
    expect(await outcome).toBe(failure);
  });
});
