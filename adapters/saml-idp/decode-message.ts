/**
 * Reads a SAML protocol message off an HTTP binding, capping sizes before any work is done:
 * HTTP-Redirect (SAML Bindings §3.4: DEFLATE, base64, URL-encoded; signature in the query) and
 * HTTP-POST (§3.5: base64 in a form field; signature inside the XML).
 */
import { inflateRawSync } from 'node:zlib';
import { SamlRejection } from './rejection.js';

export type Binding = 'redirect' | 'post';

export interface DecodedMessage {
  binding: Binding;
  /** `SAMLRequest` or `SAMLResponse`. */
  field: 'SAMLRequest' | 'SAMLResponse';
  xml: string;
  relayState: string | undefined;
  /** HTTP-Redirect only: what was signed and the signature (Bindings §3.4.4.1). */
  querySignature?: { sigAlg: string; signature: Buffer; signedBytes: string } | undefined;
}

export interface DecodeLimits {
  maxMessageBytes: number;
  maxInflatedBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Strict(value: string, limits: DecodeLimits): Buffer {
  // RFC 2045 line breaks are tolerated in the POST binding (Bindings §3.5.4); nothing else is.
  const compact = value.replace(/[\r\n]/g, '');
  if (compact.length > limits.maxMessageBytes) {
    throw new SamlRejection('TOO_LARGE', `the message is ${compact.length} bytes; the limit is ${limits.maxMessageBytes}`);
  }
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SamlRejection('BAD_ENCODING', 'the message is not valid base64');
  }
  return Buffer.from(compact, 'base64');
}

/* A strict UTF-8 decoder: malformed sequences are refused, never replaced with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
function toText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SamlRejection('BAD_ENCODING', 'the message is not UTF-8 text');
  }
}

/**
 * Splits a raw query string keeping each parameter's original encoding: the redirect-binding
 * signature is computed over the parameters exactly as the sender URL-encoded them (Bindings
 * §3.4.4.1), and re-encoding them ourselves would break valid signatures from other encoders.
 */
export function rawQueryParams(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>();
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    try {
      key = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      throw new SamlRejection('BAD_ENCODING', 'the query string is not valid URL encoding');
    }
    if (out.has(key)) throw new SamlRejection('DUPLICATE_PARAMETER', `the query repeats the parameter ${key.slice(0, 40)}`);
    out.set(key, value);
  }
  return out;
}

function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new SamlRejection('BAD_ENCODING', 'a query parameter is not valid URL encoding');
  }
}

function inflateCapped(compressed: Buffer, limits: DecodeLimits): Buffer {
  try {
    // maxOutputLength stops a deflate bomb while inflating, before the output is allocated.
    return inflateRawSync(compressed, { maxOutputLength: limits.maxInflatedBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new SamlRejection('DEFLATE_BOMB', `the message inflates beyond ${limits.maxInflatedBytes} bytes`);
    }
    throw new SamlRejection('BAD_ENCODING', 'the message is not valid DEFLATE data (SAML Bindings §3.4.4.1)');
  }
}

export function decodeRedirect(rawQuery: string, field: DecodedMessage['field'], limits: DecodeLimits): DecodedMessage {
  if (rawQuery.length > limits.maxMessageBytes * 2) {
    throw new SamlRejection('TOO_LARGE', `the query string is ${rawQuery.length} bytes; the limit is ${limits.maxMessageBytes * 2}`);
  }
  const params = rawQueryParams(rawQuery);
  const encoded = params.get(field);
  if (encoded === undefined) throw new SamlRejection('MISSING_MESSAGE', `no ${field} parameter`);
  const compressed = base64Strict(urlDecode(encoded), limits);
  const inflated = inflateCapped(compressed, limits);
  const relayRaw = params.get('RelayState');
  const sigAlgRaw = params.get('SigAlg');
  const signatureRaw = params.get('Signature');
  let querySignature: DecodedMessage['querySignature'];
  if (sigAlgRaw !== undefined || signatureRaw !== undefined) {
    if (sigAlgRaw === undefined || signatureRaw === undefined) {
      throw new SamlRejection('SIGNATURE_INVALID', 'the query has SigAlg without Signature or the reverse');
    }
    // Bindings §3.4.4.1: SAMLRequest/SAMLResponse, RelayState (when present), SigAlg, in this order.
    const signedBytes = `${field}=${encoded}${relayRaw === undefined ? '' : `&RelayState=${relayRaw}`}&SigAlg=${sigAlgRaw}`;
    querySignature = { sigAlg: urlDecode(sigAlgRaw), signature: base64Strict(urlDecode(signatureRaw), limits), signedBytes };
  }
  return {
    binding: 'redirect',
    field,
    xml: toText(inflated),
    relayState: relayRaw === undefined ? undefined : urlDecode(relayRaw),
    querySignature,
  };
}

export function decodePost(body: Record<string, unknown>, field: DecodedMessage['field'], limits: DecodeLimits): DecodedMessage {
  const value = body[field];
  if (typeof value !== 'string') throw new SamlRejection('MISSING_MESSAGE', `no ${field} field`);
  const relay = body.RelayState;
  if (relay !== undefined && typeof relay !== 'string') throw new SamlRejection('DUPLICATE_PARAMETER', 'RelayState is repeated');
  const bytes = base64Strict(value, limits);
  /*
   * Bindings §3.5.4 sends POST messages uncompressed, but node-saml (passport-saml) deflates
   * them unless told otherwise; what is not XML is inflated, under the same cap as the
   * redirect binding, so those SPs work and a bomb still stops at the cap.
   */
  const xml = bytes[0] === 0x3c || bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) ? bytes : inflateCapped(bytes, limits);
  return { binding: 'post', field, xml: toText(xml), relayState: relay };
}
