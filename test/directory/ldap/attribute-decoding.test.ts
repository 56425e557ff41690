/**
 * The listing worker's attribute parsing (attribute-decoding.ts) against ldapts's own, on the same
 * BER bytes: UTF-8 text, binary values (an AD objectGUID), bytes that are almost UTF-8 (a
 * truncated sequence, an overlong form, a lone surrogate), a byte-order mark, empty values,
 * several values, `;binary` attributes and an attribute with no values. Every case must give the
 * same type, values and raw buffers.
 */
import { describe, expect, it } from 'vitest';
import { Attribute, BerReader, BerWriter } from 'ldapts';
import { decodeValue, parseAttribute } from '../../../src/directory/ldap/attribute-decoding.js';

const stockParse = Attribute.prototype.parse;

function encode(type: string, values: (string | Buffer)[]): Buffer {
  const writer = new BerWriter();
  new Attribute({ type, values: values as string[] }).write(writer);
  return writer.buffer;
}

function parsedBy(parse: (this: Attribute, reader: BerReader) => void, bytes: Buffer): { type: string; values: unknown[]; buffers: Buffer[]; offset: number } {
  const attribute = new Attribute();
  const reader = new BerReader(bytes);
  parse.call(attribute, reader);
  return { type: attribute.type, values: [...attribute.values], buffers: [...attribute.parsedBuffers], offset: reader.offset };
}

const guid = Buffer.from('6f1f4b6a9c0e2d4bb7a1c3d5e7f90a1b', 'hex');
const CASES: [string, string, (string | Buffer)[]][] = [
  ['ASCII text', 'sAMAccountName', ['jdoe']],
  ['Unicode text', 'displayName', ['Jürgen Müller', '山田 花子', 'Ольга', '😀']],
  ['an AD objectGUID', 'objectGUID', [guid]],
  ['a truncated UTF-8 sequence', 'cn', [Buffer.from([0x61, 0xe2, 0x82])]],
  ['an overlong encoding', 'cn', [Buffer.from([0xc0, 0xaf])]],
  ['an encoded surrogate', 'cn', [Buffer.from([0xed, 0xa0, 0x80])]],
  ['a byte-order mark', 'description', [Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69]), Buffer.from([0xef, 0xbb, 0xbf])]],
  ['empty values', 'mail', ['', '']],
  ['text and binary values mixed', 'otherMailbox', ['a@corp.example', Buffer.from([0xff, 0xfe])]],
  ['a ;binary attribute', 'userCertificate;binary', [Buffer.from('text, yet binary')]],
  ['no values', 'mobile', []],
];

describe('the listing worker parses attributes as ldapts does', () => {
  for (const [what, type, values] of CASES) {
    it(`gives the same type, values and buffers for ${what}`, () => {
      const bytes = encode(type, values);
      const ours = parsedBy(parseAttribute, bytes);
      expect(ours).toEqual(parsedBy(stockParse, bytes));
      expect(ours.offset).toBe(bytes.length);
    });
  }

  it('keeps a value that is not UTF-8 as its bytes and decodes one that is', () => {
    expect(decodeValue(guid)).toBe(guid);
    expect(decodeValue(Buffer.from('Zoë'))).toBe('Zoë');
  });
});
