/**
 * The import's SearchResultEntry reader (search-entry-rows.ts, search-entry-tap.ts) against an
 * independent implementation, ldapts, on the same BER bytes: ldapts parses each message, its
 * `toObject` and our `mapEntry` + `directoryRow` give the row the import stored before; our reader
 * must give the same row from the bytes. Cases: multi-valued attributes, binary values (objectGUID,
 * objectSid), non-ASCII UTF-8, a byte-order mark, invalid UTF-8 (refused as text by ldapts's fatal
 * decoder), empty values, attributes with no values, names in other cases and repeated, long
 * values in the 0x81/0x82/0x83/0x84 length forms, entries without an id or a sign-in name; and a
 * stream of entries, a reference and a SearchResultDone with a paging cookie split across TCP
 * chunks at every offset. A malformed or unsolicited message fails the open search, and nothing
 * after it is read (the tap fails closed: ldapts never sees an entry or a message that does not frame).
 */
import { describe, expect, it } from 'vitest';
import { Client, SearchEntry, SearchReference, SearchRequest, SearchResponse, PagedResultsControl, PresenceFilter, type Entry, type MessageParser } from 'ldapts';
import { SearchEntryRows } from '../../../src/directory/ldap/search-entry-rows.js';
import { tapSearchEntries } from '../../../src/directory/ldap/search-entry-tap.js';
import { binaryAttributes, mapEntry, rowAttributes } from '../../../src/directory/ldap/map-entry.js';
import { directoryRow } from '../../../src/directory/user-columns.js';
import { PRESETS, type AttributeMap } from '../../../src/directory/ldap/presets.js';
import type { DirectoryRow } from '../../../src/directory/directory.js';

// ---- a BER writer with a chosen length form (0 = shortest, n = 0x80|n followed by n bytes) ----

function tlv(tag: number, content: Buffer, lengthBytes = 0): Buffer {
  const n = content.length;
  let header: number[];
  if (lengthBytes === 0 && n < 0x80) header = [tag, n];
  else {
    const k = Math.max(lengthBytes, Math.ceil(Math.log2(n + 1) / 8), 1);
    const bytes: number[] = [];
    for (let i = k - 1; i >= 0; i--) bytes.push(Math.floor(n / 256 ** i) % 256);
    header = [tag, 0x80 | k, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

const octets = (v: string | Buffer, form = 0): Buffer => tlv(0x04, typeof v === 'string' ? Buffer.from(v, 'utf8') : v, form);

type Attr = [type: string, values: (string | Buffer)[], form?: number];

function entryMessage(id: number, dn: string, attrs: Attr[], form = 0): Buffer {
  const list = Buffer.concat(attrs.map(([type, values, f = form]) => tlv(0x30, Buffer.concat([octets(type, f), tlv(0x31, Buffer.concat(values.map((v) => octets(v, f))), f)]), f)));
  const op = tlv(0x64, Buffer.concat([octets(dn, form), tlv(0x30, list, form)]), form);
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), op]), form);
}

function doneMessage(id: number, cookie: Buffer): Buffer {
  const result = Buffer.concat([tlv(0x0a, Buffer.from([0])), octets(''), octets('')]);
  const pagedValue = tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([0])), octets(cookie)]));
  const control = tlv(0x30, Buffer.concat([octets(PagedResultsControl.type), octets(pagedValue)]));
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), tlv(0x65, result), tlv(0xa0, control)]));
}

function referenceMessage(id: number, uri: string): Buffer {
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), tlv(0x73, octets(uri))]));
}

// ---- the two readers ----

const AD = PRESETS.activeDirectory.attributes;

interface Read {
  rows: (DirectoryRow | { skipped: string })[];
  others: string[];
  errors: string[];
}

/** ldapts's pending operations: the searches this file's messages answer (ids 1 to 9) are open. */
const openSearches = (): Parameters<MessageParser['read']>[1] =>
  new Map(Array.from({ length: 9 }, (_, i) => [String(i + 1), { message: new SearchRequest({ messageId: i + 1, filter: new PresenceFilter({ attribute: 'objectClass' }) }) }]));

/** Feeds `chunks` to a client's message parser, with or without our tap. */
function feed(chunks: Buffer[], map: AttributeMap, tapped: boolean): Read {
  const client = new Client({ url: 'ldap://127.0.0.1:1' });
  const parser = (client as unknown as { messageParser: MessageParser }).messageParser;
  const out: Read = { rows: [], others: [], errors: [] };
  const asRow = (entry: Entry): DirectoryRow | { skipped: string } => {
    const user = mapEntry(entry, map, []);
    return user ? directoryRow(user) : { skipped: entry.dn };
  };
  parser.on('message', (m: unknown) => {
    if (m instanceof SearchEntry) out.rows.push(asRow(m.toObject(rowAttributes(map), binaryAttributes(map))));
    else if (m instanceof SearchReference) out.others.push(`ref ${m.uris.join(' ')}`);
    else if (m instanceof SearchResponse) {
      const paged = m.controls?.find((c): c is PagedResultsControl => c instanceof PagedResultsControl);
      out.others.push(`done ${m.status} cookie ${paged?.value?.cookie?.toString('hex')}`);
    }
  });
  parser.on('error', (err: Error) => out.errors.push(err.message));
  const tap = tapped ? tapSearchEntries(client, new SearchEntryRows(map)) : undefined;
  const operations = openSearches();
  for (const chunk of chunks) {
    parser.read(chunk, operations);
    // The tap's rows are taken as they come, interleaved with ldapts's messages in stream order.
    for (const { row, dn } of tap?.take() ?? []) out.rows.push(row ?? { skipped: dn ?? '' });
  }
  tap?.remove();
  return out;
}

const guid = Buffer.from('3f8a6dc0b7234a4ba54016056d11be66', 'hex');
const guidRendered = 'c06d8a3f-23b7-4b4a-a540-16056d11be66';
const guidAscii = Buffer.from('0123456789abcdef', 'latin1');
const sid = Buffer.from('010500000000000515000000a065cf7e784b9b5fe77c8770e8030000', 'hex');
const bom = (s: string): Buffer => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]);
const long = (n: number): string => 'x'.repeat(n - 2) + 'é';

const base: Attr[] = [
  ['objectGUID', [guid]],
  ['sAMAccountName', ['JDoe']],
];

const CASES: [string, Attr[], number?][] = [
  ['a plain AD user', [...base, ['userPrincipalName', ['jdoe@corp.example']], ['displayName', ['John Doe']], ['givenName', ['John']], ['sn', ['Doe']], ['mail', ['jdoe@corp.example']], ['telephoneNumber', ['+49 30 1']], ['mobile', ['+49 151 2']], ['userAccountControl', ['512']]]],
  ['a disabled account', [...base, ['userAccountControl', ['514']]]],
  ['a userAccountControl that is not a number', [...base, ['userAccountControl', ['0x2']]]],
  ['a negative userAccountControl', [...base, ['userAccountControl', ['-2']]]],
  ['multi-valued attributes (the first value counts)', [...base, ['mail', ['first@x', 'second@x']], ['telephoneNumber', ['', '+1']], ['mobile', ['  +2  ', '+3']]]],
  ['non-ASCII UTF-8 everywhere', [['objectGUID', [guid]], ['sAMAccountName', ['Jürgen.Müller']], ['displayName', ['山田 花子']], ['givenName', ['Ольга']], ['sn', ['😀 Ω']], ['mail', ['ζωή@corp.example']]]],
  ['a compatibility form the sign-in name folds (NFKC)', [['objectGUID', [guid]], ['sAMAccountName', ['ﬁle Ⅻ']]]],
  ['a byte-order mark, dropped from text', [...base, ['displayName', [bom('Zoë')]], ['sn', [bom('')]]]],
  ['a byte-order mark in an attribute with a non-UTF-8 value (kept, as ldapts keeps bytes)', [...base, ['displayName', [bom('Zoë'), Buffer.from([0xff])]]]],
  ['invalid UTF-8: truncated, overlong, surrogate, stray continuation', [...base, ['displayName', [Buffer.from([0x61, 0xe2, 0x82])]], ['givenName', [Buffer.from([0xc0, 0xaf])]], ['sn', [Buffer.from([0xed, 0xa0, 0x80])]], ['mail', [Buffer.from([0x80, 0x61])]]]],
  ['binary values in text fields (objectSid as phone)', [...base, ['telephoneNumber', [sid]]]],
  ['binary attributes a row does not store', [...base, ['objectSid', [sid]], ['thumbnailPhoto', [Buffer.alloc(300, 0xff)]]]],
  ['a ;binary attribute', [...base, ['userCertificate;binary', [Buffer.from('abc')]]]],
  ['empty values and whitespace-only values', [...base, ['mail', ['']], ['displayName', ['   ']], ['givenName', ['\t x \n']]]],
  ['an attribute with no values', [...base, ['mail', []], ['sn', []]]],
  ['names in other cases', [['OBJECTGUID', [guid]], ['samaccountname', ['x']], ['MAIL', ['m@x']], ['UserAccountControl', ['66050']]]],
  ['a repeated attribute (the last occurrence counts)', [...base, ['mail', ['a@x']], ['Mail', ['b@x']], ['sn', ['S']], ['sn', []]]],
  ['an objectGUID that is valid ASCII', [['objectGUID', [guidAscii]], ['sAMAccountName', ['ascii-guid']]]],
  ['an objectGUID of the wrong length', [['objectGUID', [Buffer.from([1, 2, 3])]], ['sAMAccountName', ['short-guid']]]],
  ['attributes nobody asked for', [...base, ['objectClass', ['top', 'person', 'user']], ['memberOf', Array.from({ length: 50 }, (_, i) => `CN=G${i},DC=x`)]]],
  ['no id (skipped, with its DN)', [['sAMAccountName', ['noid']]]],
  ['no sign-in name (skipped)', [['objectGUID', [guid]], ['mail', ['x@y']]]],
  ['an empty sign-in name (skipped)', [['objectGUID', [guid]], ['sAMAccountName', ['  ']]]],
  ['an empty objectGUID (skipped)', [['objectGUID', [Buffer.alloc(0)]], ['sAMAccountName', ['x']]]],
  ['values over 127 bytes (0x81 form)', [...base, ['displayName', [long(200)]]]],
  ['values over 255 bytes (0x82 form)', [...base, ['displayName', [long(300)]], ['description', [long(70_000)]]]],
  ['values over 65,535 bytes (0x83 form)', [...base, ['displayName', [long(70_000)]]]],
  ['every length in the 0x84 form', [...base, ['mail', ['m@x']]], 4],
  ['every length in the 0x83 form', [...base, ['mail', ['m@x']]], 3],
  ['every length in the 0x82 form', [...base, ['mail', ['m@x']]], 2],
];

describe('the import reads search entries as ldapts + mapEntry do', () => {
  for (const [what, attrs, form] of CASES) {
    it(`gives the same row for ${what}`, () => {
      const bytes = entryMessage(7, 'CN=Jürgen Müller,OU=Users,DC=corp,DC=example', attrs, form);
      const ldapts = feed([bytes], AD, false);
      expect(ldapts.errors).toEqual([]);
      expect(ldapts.rows).toHaveLength(1);
      expect(feed([bytes], AD, true)).toEqual(ldapts);
    });
  }

  it('gives the same rows with the OpenLDAP preset (a text id, no account flags)', () => {
    const map = PRESETS.openldap.attributes;
    const bytes = Buffer.concat([
      entryMessage(3, 'uid=a,dc=x', [['entryUUID', ['  6f1f4b6a-9c0e-2d4b-b7a1-c3d5e7f90a1b ']], ['uid', ['A']], ['mail', ['a@x']], ['userAccountControl', ['514']]]),
      entryMessage(3, 'uid=b,dc=x', [['entryUUID', [guid]], ['uid', ['b']]]),
      entryMessage(3, 'uid=c,dc=x', [['entryUUID', ['']], ['uid', ['c']]]),
    ]);
    const ldapts = feed([bytes], map, false);
    expect(ldapts.rows).toHaveLength(3);
    expect(feed([bytes], map, true)).toEqual(ldapts);
  });

  it('gives the same rows when several fields read one attribute and a name is not ASCII', () => {
    const map: AttributeMap = { ...AD, upn: 'sAMAccountName', displayName: 'sAMAccountName', surname: 'ſn', mobile: '' };
    const bytes = Buffer.concat([
      entryMessage(3, 'cn=a', [...base, ['ſn', ['long s']], ['mobile', ['+1']]]),
      entryMessage(3, 'cn=b', [...base, ['SN', ['ascii sn']], ['ſN', ['upper']]]),
    ]);
    const ldapts = feed([bytes], map, false);
    expect(feed([bytes], map, true)).toEqual(ldapts);
  });
});

describe('a stream of messages across TCP chunks', () => {
  const entries = Array.from({ length: 12 }, (_, i) =>
    entryMessage(5, `CN=u${i},DC=x`, [
      ['objectGUID', [Buffer.alloc(16, i)]],
      ['sAMAccountName', [`user${i}`]],
      ['displayName', [i % 3 === 0 ? 'Zoë Ærø' : long(130 + i * 40)]],
      ['mail', i % 4 === 0 ? [] : [`u${i}@x`]],
      ['userAccountControl', [i % 5 === 0 ? '514' : '512']],
    ]),
  );
  const stream = Buffer.concat([...entries.slice(0, 6), referenceMessage(5, 'ldap://other.example/DC=x'), ...entries.slice(6), entryMessage(5, 'CN=no id,DC=x', [['sAMAccountName', ['x']]]), doneMessage(5, Buffer.from('c00k1e'))]);
  const expected = feed([stream], AD, false);

  it('is what ldapts reads from the stream in one piece', () => {
    expect(expected.rows).toHaveLength(13);
    expect(expected.others).toEqual(['ref ldap://other.example/DC=x', `done 0 cookie ${Buffer.from('c00k1e').toString('hex')}`]);
    expect(feed([stream], AD, true)).toEqual(expected);
  });

  it('reads the same rows, reference and cookie with the stream cut in two at every offset', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const got = feed([stream.subarray(0, cut), stream.subarray(cut)], AD, true);
      expect(got, `cut at ${cut}`).toEqual(expected);
    }
  });

  it('reads them from one-byte chunks and from chunks of every size up to 64', () => {
    for (let size = 1; size <= 64; size++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
      expect(feed(chunks, AD, true), `chunks of ${size}`).toEqual(expected);
    }
  });
});

describe('malformed messages', () => {
  const good = entryMessage(9, 'cn=a', base);
  const next = entryMessage(9, 'cn=b', [['objectGUID', [guid]], ['sAMAccountName', ['next']]]);

  it('an entry whose value is not an OCTET STRING fails its search and the connection: nothing after it is read', () => {
    const bad = Buffer.from(good);
    // The objectGUID's OCTET STRING tag (inside its SET) becomes a NULL.
    bad[bad.indexOf(Buffer.from([0x31, 0x12, 0x04, 0x10])) + 2] = 0x05;
    const ldapts = feed([bad, next], AD, false);
    expect(ldapts.errors).toHaveLength(1);
    const ours = feed([bad, next], AD, true);
    expect(ours.errors).toEqual(['malformed SearchResultEntry: attribute value is not an OCTET STRING']);
    expect(ours.rows).toEqual([]);
  });

  it('an entry whose attribute list ends early or runs past the entry fails (ldapts loops for ever on the second)', () => {
    for (const delta of [-1, 1]) {
      const bad = Buffer.from(good);
      const list = bad.indexOf(Buffer.from('cn=a')) + 4;
      bad[list + 1] = bad[list + 1]! + delta;
      const ours = feed([good, bad, next], AD, true);
      expect(ours.errors, `list length ${delta}`).toHaveLength(1);
      expect(ours.errors[0]).toMatch(/^malformed SearchResultEntry: /);
      expect(ours.rows).toEqual([['jdoe', guidRendered, null, null, null, null, null, null, null, 0]]);
    }
  });

  it('bytes that are not an LDAP message fail the search; nothing after them reaches ldapts', () => {
    const junk = Buffer.concat([good, Buffer.from([0x31, 0x03, 0x02, 0x01, 0x00]), next, doneMessage(9, Buffer.alloc(0))]);
    const ours = feed([junk], AD, true);
    expect(ours.errors).toEqual(['LDAP message does not frame: tag 0x31 where an LDAPMessage SEQUENCE starts']);
    expect(ours.rows).toEqual([['jdoe', guidRendered, null, null, null, null, null, null, null, 0]]);
    expect(ours.others).toEqual([]);
  });

  it('an entry for a search that is not open fails the open one', () => {
    const ours = feed([good, entryMessage(42, 'cn=c', base), next], AD, true);
    expect(ours.errors).toEqual(['unsolicited SearchResultEntry (message id 42, no such search open)']);
    expect(ours.rows).toEqual([['jdoe', guidRendered, null, null, null, null, null, null, null, 0]]);
  });
});
