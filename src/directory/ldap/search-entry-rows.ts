/**
 * A store row straight from the bytes of a SearchResultEntry (RFC 4511 §4.5.2), for the import's
 * listing: the measured hot path of an import (issue 25 item 4). ldapts parses every entry into
 * an `Attribute` object per attribute, a Buffer and a string per value, then `toObject` and
 * `mapEntry` index them again; this reader walks the BER once, looks only at the attributes a
 * row stores, decodes only their first value, and builds the `DirectoryRow`.
 *
 * It gives what `directoryRow(mapEntry(ldapts's toObject(entry)))` gives, value for value
 * (test/directory/ldap/search-entry-rows.test.ts compares the two on the same bytes):
 * - attribute names match case-insensitively (RFC 4512 §2.5), the last occurrence wins;
 * - the first value counts, read as UTF-8 and trimmed, and an empty one is absent. ldapts decodes
 *   each value with a `fatal` decoder and keeps the bytes of one that is not UTF-8, which
 *   mapEntry then reads with `Buffer.toString` (invalid sequences become U+FFFD): the same
 *   string as reading the bytes here, so no validity check is needed for a row. The decoder
 *   drops a leading byte-order mark; `trim()` drops it too (U+FEFF is white space to it);
 * - a binary id (objectGUID) is rendered from its bytes (`guidFromBytes`).
 * Anything shaped otherwise than RFC 4511 says (a tag, a length running past its container)
 * throws `EntryShapeError`.
 */
import { foldUsername, type DirectoryRow } from '../directory.js';
import { guidFromBytes } from './map-entry.js';
import { BINARY_ID_ATTRIBUTES, type AttributeMap } from './presets.js';

/** The entry does not have the shape RFC 4511 gives a SearchResultEntry. */
export class EntryShapeError extends Error {}

const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;
const SET = 0x31;
const UF_ACCOUNTDISABLE = 0x2;

/** The fields a row is built from, in this order (slots of `SearchEntryRows`' scratch array). */
const FIELDS = ['id', 'username', 'upn', 'displayName', 'givenName', 'surname', 'email', 'phone', 'mobile', 'userAccountControl'] as const;
const ID = 0;
const USERNAME = 1;
const UAC = 9;

interface WantedAttribute {
  /** Lower-cased name as UTF-8 bytes. */
  bytes: Buffer;
  name: string;
  /** Slots of `FIELDS` this attribute fills (one attribute may feed several fields). */
  slots: number[];
}

/** The BER length at `at` (the byte after the tag): [length, offset of the contents]. */
export function readLength(buf: Buffer, at: number, limit: number): [number, number] {
  if (at >= limit) throw new EntryShapeError('length past the end');
  const first = buf[at]!;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > limit) throw new EntryShapeError('unsupported length');
  let length = 0;
  for (let i = 1; i <= n; i++) length = length * 256 + buf[at + i]!;
  return [length, at + 1 + n];
}

export interface EntryRow {
  /** The row, or null when the entry lacks the id or the sign-in name. */
  row: DirectoryRow | null;
  /** The entry's DN, decoded only for an entry that yields no row (it is logged). */
  dn: string | undefined;
}

/** Reads rows from SearchResultEntry messages for one attribute map. */
export class SearchEntryRows {
  readonly #wanted: WantedAttribute[] = [];
  readonly #binaryId: boolean;
  /** Per-entry scratch: the text of each field (undefined when absent). */
  readonly #text: (string | undefined)[] = new Array<string | undefined>(FIELDS.length);
  #idBytes: Buffer | undefined;

  constructor(map: AttributeMap) {
    this.#binaryId = BINARY_ID_ATTRIBUTES.has(map.id.toLowerCase());
    FIELDS.forEach((field, slot) => {
      const name = map[field];
      if (!name) return;
      const lower = name.toLowerCase();
      const known = this.#wanted.find((w) => w.name === lower);
      if (known) known.slots.push(slot);
      else this.#wanted.push({ bytes: Buffer.from(lower, 'utf8'), name: lower, slots: [slot] });
    });
  }

  /**
   * The row of the SearchResultEntry whose protocolOp contents (after the [APPLICATION 4] tag
   * and length) are buf[start, end). Throws EntryShapeError on a malformed entry.
   */
  read(buf: Buffer, start: number, end: number): EntryRow {
    this.#text.fill(undefined);
    this.#idBytes = undefined;
    // objectName LDAPDN
    if (buf[start] !== OCTET_STRING) throw new EntryShapeError('objectName is not an OCTET STRING');
    const [dnLength, dnStart] = readLength(buf, start + 1, end);
    const dnEnd = dnStart + dnLength;
    // attributes PartialAttributeList ::= SEQUENCE OF PartialAttribute
    if (dnEnd >= end || buf[dnEnd] !== SEQUENCE) throw new EntryShapeError('attributes are not a SEQUENCE');
    const [listLength, listStart] = readLength(buf, dnEnd + 1, end);
    const listEnd = listStart + listLength;
    if (listEnd !== end) throw new EntryShapeError('attribute list does not end with the entry');
    let at = listStart;
    while (at < listEnd) at = this.#attribute(buf, at, listEnd);
    const row = this.#row();
    return { row, dn: row === null ? buf.toString('utf8', dnStart, dnEnd) : undefined };
  }

  /** One PartialAttribute ::= SEQUENCE { type AttributeDescription, vals SET OF value }; returns its end. */
  #attribute(buf: Buffer, at: number, limit: number): number {
    if (buf[at] !== SEQUENCE) throw new EntryShapeError('attribute is not a SEQUENCE');
    const [length, start] = readLength(buf, at + 1, limit);
    const end = start + length;
    if (end > limit || buf[start] !== OCTET_STRING) throw new EntryShapeError('attribute type is not an OCTET STRING');
    const [typeLength, typeStart] = readLength(buf, start + 1, end);
    const typeEnd = typeStart + typeLength;
    if (typeEnd > end) throw new EntryShapeError('attribute type runs past its attribute');
    // ldapts reads the values only when a SET follows the type; anything else there is malformed.
    let setStart = typeEnd;
    let setEnd = typeEnd;
    if (typeEnd < end) {
      if (buf[typeEnd] !== SET) throw new EntryShapeError('attribute values are not a SET');
      const [setLength, s] = readLength(buf, typeEnd + 1, end);
      setStart = s;
      setEnd = s + setLength;
      if (setEnd !== end) throw new EntryShapeError('attribute values do not end with the attribute');
    }
    const wanted = this.#match(buf, typeStart, typeEnd);
    if (wanted === undefined) {
      this.#checkValues(buf, setStart, setEnd);
      return end;
    }
    this.#values(buf, setStart, setEnd, wanted);
    return end;
  }

  /** The wanted attribute named buf[start, end), compared case-insensitively. */
  #match(buf: Buffer, start: number, end: number): WantedAttribute | undefined {
    for (let i = start; i < end; i++) {
      // A name with non-ASCII bytes: compare as mapEntry does (String.prototype.toLowerCase).
      if (buf[i]! >= 0x80) {
        const lower = buf.toString('utf8', start, end).toLowerCase();
        return this.#wanted.find((w) => w.name === lower);
      }
    }
    const length = end - start;
    for (const w of this.#wanted) {
      if (w.bytes.length !== length) continue;
      let i = 0;
      for (; i < length; i++) {
        let b = buf[start + i]!;
        if (b >= 0x41 && b <= 0x5a) b |= 0x20;
        if (b !== w.bytes[i]) break;
      }
      if (i === length) return w;
    }
    return undefined;
  }

  /** The values of an attribute a row does not store are only checked for shape. */
  #checkValues(buf: Buffer, start: number, end: number): void {
    let at = start;
    while (at < end) {
      if (buf[at] !== OCTET_STRING) throw new EntryShapeError('attribute value is not an OCTET STRING');
      const [length, s] = readLength(buf, at + 1, end);
      at = s + length;
    }
    if (at !== end) throw new EntryShapeError('attribute value runs past its SET');
  }

  #values(buf: Buffer, start: number, end: number, wanted: WantedAttribute): void {
    let firstStart = -1;
    let firstEnd = -1;
    let at = start;
    while (at < end) {
      if (buf[at] !== OCTET_STRING) throw new EntryShapeError('attribute value is not an OCTET STRING');
      const [length, s] = readLength(buf, at + 1, end);
      at = s + length;
      if (at > end) throw new EntryShapeError('attribute value runs past its SET');
      if (firstStart < 0) {
        firstStart = s;
        firstEnd = at;
      }
    }
    for (const slot of wanted.slots) {
      if (slot === ID && this.#binaryId) {
        this.#idBytes = firstStart < 0 ? undefined : buf.subarray(firstStart, firstEnd);
        continue;
      }
      const value = firstStart < 0 ? '' : buf.toString('utf8', firstStart, firstEnd).trim();
      this.#text[slot] = value === '' ? undefined : value;
    }
  }

  #row(): DirectoryRow | null {
    const t = this.#text;
    const externalId = this.#binaryId ? (this.#idBytes === undefined ? undefined : guidFromBytes(this.#idBytes)) : t[ID];
    const username = t[USERNAME];
    if (!externalId || username === undefined) return null;
    const uac = t[UAC];
    // As mapEntry: a value that is not a decimal number counts as enabled.
    const disabled = uac !== undefined && /^-?\d+$/.test(uac) && (Number(uac) & UF_ACCOUNTDISABLE) !== 0 ? 1 : 0;
    return [foldUsername(username), externalId, t[2] ?? null, t[3] ?? null, t[4] ?? null, t[5] ?? null, t[6] ?? null, t[7] ?? null, t[8] ?? null, disabled];
  }
}
