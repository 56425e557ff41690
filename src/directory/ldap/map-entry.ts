/**
 * Turns a search entry into a `DirectoryUser`. Attribute names are matched case-insensitively
 * (RFC 4512 §2.5: attribute descriptions are case-insensitive, and servers echo them in their
 * own spelling). Missing optional attributes stay undefined; an entry without an id or a
 * sign-in name cannot be a user and yields null.
 */
import type { Entry } from 'ldapts';
import type { DirectoryUser } from '../directory.js';
import { BINARY_ID_ATTRIBUTES, type AttributeMap } from './presets.js';

/** MS-ADTS §2.2.16: userAccountControl bit 0x2, ACCOUNTDISABLE. */
const UF_ACCOUNTDISABLE = 0x2;

type Value = string | Buffer;

/**
 * MS-DTYP §2.3.4: a GUID's first three fields are stored little-endian, the last two as bytes;
 * AD tools show objectGUID in that swapped form, so we do too.
 */
export function guidFromBytes(b: Buffer): string {
  if (b.length !== 16) return b.toString('hex');
  const h = (i: number): string => b[i]!.toString(16).padStart(2, '0');
  const seq = (idx: number[]): string => idx.map(h).join('');
  return `${seq([3, 2, 1, 0])}-${seq([5, 4])}-${seq([7, 6])}-${seq([8, 9])}-${seq([10, 11, 12, 13, 14, 15])}`;
}

/** The inverse of `guidFromBytes`, for searching by objectGUID. */
export function bytesFromGuid(guid: string): Buffer | null {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || guid.length !== 36) return null;
  const raw = Buffer.from(hex, 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => raw[i]!));
}

export function indexEntry(entry: Entry): Map<string, Value[]> {
  const out = new Map<string, Value[]>();
  for (const [name, raw] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const values = (Array.isArray(raw) ? raw : [raw]) as Value[];
    out.set(name.toLowerCase(), values);
  }
  return out;
}

function first(index: Map<string, Value[]>, attr: string): Value | undefined {
  if (!attr) return undefined;
  return index.get(attr.toLowerCase())?.[0];
}

function text(index: Map<string, Value[]>, attr: string): string | undefined {
  const v = first(index, attr);
  if (v === undefined) return undefined;
  const s = (typeof v === 'string' ? v : v.toString('utf8')).trim();
  return s === '' ? undefined : s;
}

/** The attribute list to request, so servers send nothing else (smaller pages). */
export function requestedAttributes(map: AttributeMap, extra: readonly string[]): string[] {
  const names = new Set<string>();
  for (const v of Object.values(map)) if (v) names.add(v);
  for (const v of extra) names.add(v);
  return [...names];
}

export function binaryAttributes(map: AttributeMap): string[] {
  return BINARY_ID_ATTRIBUTES.has(map.id.toLowerCase()) ? [map.id] : [];
}

export function externalIdOf(index: Map<string, Value[]>, map: AttributeMap): string | undefined {
  const v = first(index, map.id);
  if (v === undefined) return undefined;
  if (BINARY_ID_ATTRIBUTES.has(map.id.toLowerCase())) {
    return guidFromBytes(typeof v === 'string' ? Buffer.from(v, 'binary') : v);
  }
  const s = (typeof v === 'string' ? v : v.toString('utf8')).trim();
  return s === '' ? undefined : s;
}

export function mapEntry(entry: Entry, map: AttributeMap, extra: readonly string[]): DirectoryUser | null {
  const index = indexEntry(entry);
  const externalId = externalIdOf(index, map);
  const username = text(index, map.username);
  if (!externalId || !username) return null;
  const uac = text(index, map.userAccountControl);
  // AD sends the flags as a decimal string; a value that is not a number counts as enabled
  // rather than locking everyone out on a mapping mistake.
  const uacBits = uac !== undefined && /^-?\d+$/.test(uac) ? Number(uac) : 0;
  let attributes: Record<string, string[]> | undefined;
  if (extra.length > 0) {
    attributes = {};
    for (const name of extra) {
      const values = index.get(name.toLowerCase());
      if (values) attributes[name] = values.map((v) => (typeof v === 'string' ? v : v.toString('base64')));
    }
  }
  return {
    externalId,
    username,
    upn: text(index, map.upn),
    displayName: text(index, map.displayName),
    givenName: text(index, map.givenName),
    surname: text(index, map.surname),
    email: text(index, map.email),
    phone: text(index, map.phone),
    mobile: text(index, map.mobile),
    disabled: (uacBits & UF_ACCOUNTDISABLE) !== 0,
    attributes,
  };
}
