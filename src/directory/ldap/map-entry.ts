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
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function guidFromBytes(b: Buffer): string {
  if (b.length !== 16) return b.toString('hex');
  const h = (i: number): string => HEX[b[i]!]!;
  return (
    `${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-` +
    `${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`
  );
}

/** The inverse of `guidFromBytes`, for searching by objectGUID. */
export function bytesFromGuid(guid: string): Buffer | null {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || guid.length !== 36) return null;
  const raw = Buffer.from(hex, 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => raw[i]!));
}

/**
 * Attribute names lower-cased once: a listing sees the same dozen names on every entry. Bounded,
 * since the names come from the server.
 */
const lowerNames = new Map<string, string>();
function lower(name: string): string {
  let l = lowerNames.get(name);
  if (l === undefined) {
    l = name.toLowerCase();
    if (lowerNames.size < 1024) lowerNames.set(name, l);
  }
  return l;
}

export function indexEntry(entry: Entry): Map<string, Value[]> {
  const out = new Map<string, Value[]>();
  for (const name in entry) {
    if (name === 'dn' || !Object.hasOwn(entry, name)) continue;
    const raw = entry[name];
    out.set(lower(name), (Array.isArray(raw) ? raw : [raw]) as Value[]);
  }
  return out;
}

function first(index: Map<string, Value[]>, attr: string): Value | undefined {
  if (!attr) return undefined;
  return index.get(lower(attr))?.[0];
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

/**
 * The attributes a store row needs (`directoryRow`: id, sign-in name, UPN, names, mail, phones,
 * account flags): what the import's listing requests. Group memberships, the password date and
 * extra attributes are read at sign-in, not stored by an import, and `memberOf` alone is often
 * most of an AD entry.
 */
export function rowAttributes(map: AttributeMap): string[] {
  return requestedAttributes({ ...map, groups: '', passwordChanged: '' }, []);
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

/** Every value of an attribute as text. */
function texts(index: Map<string, Value[]>, attr: string): string[] {
  if (!attr) return [];
  return (index.get(lower(attr)) ?? []).map((v) => (typeof v === 'string' ? v : v.toString('utf8')).trim()).filter((v) => v !== '');
}

/** MS-ADTS pwdLastSet: 100 ns ticks since 1601-01-01 (FILETIME); 0 means "must change". */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000;

/**
 * When the password last changed, in epoch ms: AD's pwdLastSet (FILETIME, decimal) or the
 * password policy overlay's pwdChangedTime (GeneralizedTime, RFC 4517 §3.3.13, `YYYYMMDDhhmmss[.f]Z`).
 */
export function passwordChangedAt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{15,19}$/.test(value)) {
    const ms = Number(BigInt(value) / 10_000n) - FILETIME_EPOCH_OFFSET_MS;
    return ms > 0 ? ms : undefined;
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, sec);
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
    groups: map.groups ? texts(index, map.groups) : undefined,
    passwordChangedAt: passwordChangedAt(text(index, map.passwordChanged)),
  };
}
