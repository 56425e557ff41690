/**
 * Attribute values decoded without an exception per binary value, for the listing's worker
 * thread (list-worker.ts installs it there; nothing else in the host uses it).
 *
 * ldapts decodes every value of every attribute with a `fatal` UTF-8 TextDecoder and keeps the
 * bytes when that throws. A binary value — objectGUID on every AD entry, the id the import
 * matches on — is not UTF-8, so each entry paid for a thrown and caught TypeError, stack trace
 * included: measured against slapd, ldapts spent 29-30 µs of CPU per listed entry, 14 µs with the
 * values checked first (`isUtf8`, simdutf) and decoded only when valid.
 *
 * The result is ldapts's own, value for value: a valid UTF-8 value becomes its string (a leading
 * byte-order mark dropped, as the TextDecoder drops it), any other value stays the Buffer, a
 * `;binary` attribute keeps its Buffers, and the raw buffers are kept beside the values
 * (test/directory/ldap/attribute-decoding.test.ts compares the two on the same bytes).
 */
import { isUtf8 } from 'node:buffer';
import { Attribute, Ber, ProtocolOperation, type BerReader } from 'ldapts';

const BOM = [0xef, 0xbb, 0xbf] as const;

/** A value as ldapts's fatal TextDecoder (BOM not kept) gives it, or its bytes when not UTF-8. */
export function decodeValue(bytes: Buffer): string | Buffer {
  if (!isUtf8(bytes)) return bytes;
  const bom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  return bytes.toString('utf8', bom ? 3 : 0);
}

/** The fields of ldapts's Attribute that its parse fills (`buffers` is private in its types). */
interface ParsedAttribute {
  type: string;
  values: (string | Buffer)[];
  buffers: Buffer[];
}

/** ldapts's `Attribute.prototype.parse` with `decodeValue` in place of the throwing decoder. */
export function parseAttribute(this: Attribute, reader: BerReader): void {
  const self = this as unknown as ParsedAttribute;
  reader.readSequence();
  self.type = reader.readString() ?? '';
  const binaryType = /;binary$/i.test(self.type);
  if (reader.peek() !== ProtocolOperation.LBER_SET || !reader.readSequence(ProtocolOperation.LBER_SET)) return;
  const end = reader.offset + reader.length;
  while (reader.offset < end) {
    const bytes = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
    self.buffers.push(bytes);
    self.values.push(binaryType ? bytes : decodeValue(bytes));
  }
}

/** Makes this thread's ldapts parse attributes with `parseAttribute`. */
export function useNonThrowingAttributeDecoding(): void {
  Attribute.prototype.parse = parseAttribute;
}
