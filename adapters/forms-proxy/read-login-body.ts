/**
 * Reads and parses a login submission: the whole body is buffered (with a cap) because it is
 * both inspected here and then sent to the app byte for byte. Chunked transfer coding is
 * undone by Node's HTTP parser before the bytes reach us (RFC 9112 §7.1).
 *
 * The parsers are strict on purpose: whenever factorgate and the app could read a different
 * user name out of the same bytes (a duplicated field, a field spelled twice with different
 * case, an exotic charset or transfer encoding), the request is refused instead of guessed.
 */
import type { Readable } from 'node:stream';
import { FactorgateError } from '../../src/sdk/adapter.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

function bad(detail: string, status = 400): FactorgateError {
  return new FactorgateError('BAD_REQUEST', { detail: `login body refused: ${detail}`, status });
}

/** Buffers a request body, refusing more than `maxBytes` (413). */
export async function readBody(stream: Readable, maxBytes: number, declaredLength?: string): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) {
    throw new FactorgateError('PAYLOAD_TOO_LARGE', { detail: `login body of ${declaredLength} bytes exceeds ${maxBytes}` });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > maxBytes) {
      throw new FactorgateError('PAYLOAD_TOO_LARGE', { detail: `login body exceeds ${maxBytes} bytes` });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

export interface MediaType {
  type: string;
  params: Map<string, string>;
}

/** Parses a Content-Type value (RFC 9110 §8.3.1); parameter names are case-insensitive. */
export function parseMediaType(value: string | undefined): MediaType | null {
  if (!value) return null;
  const [head, ...rest] = splitParams(value);
  const type = head!.trim().toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(type)) return null;
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params.set(name, v);
  }
  return { type, params };
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted && c === '\\' && i + 1 < value.length) {
      cur += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * How servers look a form field up, folded so two spellings the app may take as one are one:
 * ASP.NET collections ignore case, PHP turns `.` and space into `_` and reads `name[]` as an
 * array named `name`.
 */
export function foldFieldName(name: string): string {
  return name
    .replace(/\[[^\]]*\]$/, '')
    .replace(/[. ]/g, '_')
    .toLowerCase();
}

/** Folded field name → every value seen for it (file parts count, with an empty value). */
export type FieldBag = Map<string, string[]>;

function add(bag: FieldBag, name: string, value: string): void {
  const key = foldFieldName(name);
  const list = bag.get(key);
  if (list) list.push(value);
  else bag.set(key, [value]);
}

function checkCharset(media: MediaType): void {
  const cs = media.params.get('charset');
  if (cs !== undefined && !/^(utf-8|utf8|us-ascii)$/i.test(cs)) throw bad(`charset ${cs} not accepted`, 415);
}

function parseUrlencoded(raw: Buffer): FieldBag {
  const bag: FieldBag = new Map();
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) add(bag, k, v);
  return bag;
}

/** Names of the members of the top-level JSON object, in order, duplicates kept. */
function topLevelJsonKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const literal = text.slice(i, j + 1);
      i = j;
      if (depth !== 1) continue;
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (text[k] === ':') keys.push(JSON.parse(literal) as string);
    }
  }
  return keys;
}

function parseJson(raw: Buffer): FieldBag {
  const text = raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('malformed JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('JSON body is not an object');
  const bag: FieldBag = new Map();
  // JSON.parse keeps the last duplicate; other parsers keep the first (RFC 8259 §4 leaves it
  // open). Each duplicate is recorded so the caller refuses it.
  for (const key of topLevelJsonKeys(text)) {
    const v = (value as Record<string, unknown>)[key];
    add(bag, key, typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '\u0000non-scalar');
  }
  return bag;
}

/** Reads a Content-Disposition `name` (RFC 7578 §4.2), also in the RFC 5987 `name*=` form. */
function dispositionName(header: string): { name: string; isFile: boolean } {
  const parts = splitParams(header);
  if (parts[0]!.trim().toLowerCase() !== 'form-data') throw bad('multipart part is not form-data');
  let name: string | undefined;
  let isFile = false;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (key === 'filename' || key === 'filename*') isFile = true;
    if (key !== 'name' && key !== 'name*') continue;
    if (key === 'name*') {
      const m = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (!m) throw bad('malformed name* parameter');
      try {
        v = decodeURIComponent(m[2]!);
      } catch {
        throw bad('malformed name* parameter');
      }
    } else if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if (name !== undefined && name !== v) throw bad('multipart part with two different names');
    name = v;
  }
  if (name === undefined) throw bad('multipart part without a name');
  return { name, isFile };
}

/** A strict multipart/form-data reader (RFC 7578 over RFC 2046 §5.1.1). */
function parseMultipart(raw: Buffer, media: MediaType): FieldBag {
  const boundary = media.params.get('boundary');
  if (!boundary || boundary.length > 70 || !/^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(boundary) || boundary.endsWith(' ')) {
    throw bad('missing or invalid multipart boundary');
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const crlfDelimiter = Buffer.from(`\r\n--${boundary}`);
  const bag: FieldBag = new Map();
  // The first delimiter may open the body or follow a preamble line.
  let pos = raw.subarray(0, delimiter.length).equals(delimiter) ? 0 : raw.indexOf(crlfDelimiter);
  if (pos === -1) throw bad('multipart body without a boundary');
  pos += raw[pos] === 0x0d ? crlfDelimiter.length : delimiter.length;
  for (let parts = 0; ; parts++) {
    if (parts > 200) throw bad('too many multipart parts');
    if (raw[pos] === 0x2d && raw[pos + 1] === 0x2d) return bag;
    // Transport padding (RFC 2046 §5.1.1) then CRLF.
    while (raw[pos] === 0x20 || raw[pos] === 0x09) pos++;
    if (raw[pos] !== 0x0d || raw[pos + 1] !== 0x0a) throw bad('malformed multipart delimiter line');
    pos += 2;
    const headerEnd = raw.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) throw bad('multipart part without a header end');
    const headerLines = raw.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    let disposition: string | undefined;
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw bad('malformed multipart header');
      const hname = line.slice(0, colon).trim().toLowerCase();
      const hvalue = line.slice(colon + 1).trim();
      if (hname === 'content-disposition') {
        if (disposition !== undefined) throw bad('two Content-Disposition headers in one part');
        disposition = hvalue;
      } else if (hname === 'content-transfer-encoding' && !/^(7bit|8bit|binary)$/i.test(hvalue)) {
        // RFC 7578 §4.7 deprecates it; some parsers still decode it, others do not.
        throw bad('Content-Transfer-Encoding in a multipart part');
      }
    }
    if (!disposition) throw bad('multipart part without Content-Disposition');
    const { name, isFile } = dispositionName(disposition);
    const bodyStart = headerEnd + 4;
    const next = raw.indexOf(crlfDelimiter, bodyStart);
    if (next === -1) throw bad('multipart body without its closing boundary');
    add(bag, name, isFile ? '' : raw.subarray(bodyStart, next).toString('utf8'));
    pos = next + crlfDelimiter.length;
  }
}

/** Parses a login body into fields; unsupported types are refused (415). */
export function parseLoginFields(raw: Buffer, headers: HeaderBag): FieldBag {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
    throw bad(`Content-Encoding ${String(encoding)} on a login body`, 415);
  }
  const ct = headers['content-type'];
  const media = parseMediaType(Array.isArray(ct) ? undefined : ct);
  if (!media) {
    if (raw.length === 0) return new Map();
    throw bad('login body without a usable Content-Type', 415);
  }
  checkCharset(media);
  if (media.type === 'application/x-www-form-urlencoded') return parseUrlencoded(raw);
  if (media.type === 'multipart/form-data') return parseMultipart(raw, media);
  if (media.type === 'application/json' || /^application\/[^/]+\+json$/.test(media.type)) return parseJson(raw);
  throw bad(`Content-Type ${media.type} on a login path`, 415);
}

export interface LoginCredentials {
  username: string | null;
  password: string | null;
  /** `_method` values found in the body (method override). */
  methods: string[];
}

/** Cookie names in a Cookie header (RFC 6265 §5.4). */
function cookieNames(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const all = Array.isArray(header) ? header.join('; ') : header;
  return all
    .split(';')
    .map((p) => p.split('=')[0]!.trim())
    .filter(Boolean);
}

/**
 * Picks the user name and password out of the fields. A name present twice (in the body, or
 * also in the query string or a cookie, which ASP.NET's `Request[...]` consults first) is
 * refused: the app and factorgate could otherwise challenge one user and sign in another.
 */
export function extractCredentials(
  fields: FieldBag,
  names: { username: string; password: string },
  query: string,
  cookieHeader: string | string[] | undefined,
): LoginCredentials {
  const queryFields: FieldBag = new Map();
  if (query) for (const [k, v] of new URLSearchParams(query)) add(queryFields, k, v);
  const cookies = new Set(cookieNames(cookieHeader).map(foldFieldName));
  const pick = (field: string): string | null => {
    const key = foldFieldName(field);
    const values = fields.get(key) ?? [];
    if (values.length > 1) throw bad(`field ${field} appears ${values.length} times`);
    if (queryFields.has(key)) throw bad(`field ${field} also in the query string`);
    if (cookies.has(key)) throw bad(`field ${field} also sent as a cookie`);
    const v = values[0];
    if (v === undefined) return null;
    if (v.startsWith('\u0000')) throw bad(`field ${field} is not a string`);
    return v;
  };
  const username = pick(names.username);
  const password = pick(names.password);
  const methods = (fields.get('_method') ?? []).map((m) => m.trim().toUpperCase()).filter(Boolean);
  return { username, password, methods };
}
