/**
 * Redaction of log records at any depth. Code never logs a password, an OTP, a secret or a SAML
 * message on purpose; this is the last line of defence for the cases where a whole object (a
 * config section, an error carrying its request, a form body) is logged by mistake, however
 * deeply the secret sits in it:
 * - by key name: a value under a sensitive key (`password`, `smtp.auth.pass`, `clientSecret`,
 *   `authToken`, `privateKey`, `cookie`, `SAMLResponse`, `body`, …) becomes `[redacted]`;
 * - in every string: a URL's userinfo (`postgres://app:pw@db` → `postgres://app:[redacted]@db`)
 *   and the values of sensitive query parameters (`?SAMLRequest=…`, `&code=…`).
 * Errors anywhere in a record are serialised (message, stack, own properties, cause) and
 * redacted the same way.
 */
import pino from 'pino';

export const REDACTED = '[redacted]';

/** Keys whose whole value is hidden, compared in lower case without `-` and `_`. */
const SENSITIVE_KEYS = new Set([
  'pass',
  'passwd',
  'password',
  'passphrase',
  'secret',
  'token',
  'code',
  'otp',
  'pin',
  'key',
  'keys',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'samlrequest',
  'samlresponse',
  'continuation',
  'body',
  'credential',
  'credentials',
  'sessionid',
]);

/** Keys ending so are hidden too: bindPassword, clientSecret, authToken, hmacSecret, privateKey … */
const SENSITIVE_SUFFIX = /(password|passwd|passphrase|secret|token|privatekey|apikey|signingkey)$/;

/** Query parameters whose values never reach the log (SAML messages, codes, tokens). */
export const SENSITIVE_QUERY_NAMES = ['samlrequest', 'samlresponse', 'relaystate', 'signature', 'code', 'token', 'password', 'ticket', 'state', 't'];

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@?#]*)(?::([^/\s@?#]*))?@/gi;
const QUERY_VALUE = new RegExp(`([?&](?:${SENSITIVE_QUERY_NAMES.join('|')})=)[^&#\\s"']*`, 'gi');
const MAX_DEPTH = 12;

export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SENSITIVE_KEYS.has(k) || SENSITIVE_SUFFIX.test(k);
}

/** Hides URL userinfo and sensitive query values inside any text. */
export function redactText(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text
    .replace(USERINFO, (_m, scheme: string, user: string, pass: string | undefined) => (pass === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`))
    .replace(QUERY_VALUE, (_m, name: string) => `${name}${REDACTED}`);
}

function isPlainData(value: object): boolean {
  return Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Date;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>, inError: boolean): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (isPlainData(value)) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return walk(pino.stdSerializers.err(value), depth + 1, seen, true);
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen, false));
    if (value instanceof Map) return walk(Object.fromEntries(value), depth, seen, false);
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return walk(json.call(value), depth + 1, seen, false);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // An error's own `code` is its kind (ECONNREFUSED, SQLITE_BUSY), not a one-time code.
      const keep = inError && (k === 'code' || k === 'errno' || k === 'type');
      out[k] = !keep && isSensitiveKey(k) && v !== undefined && v !== null ? REDACTED : walk(v, depth + 1, seen, false);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** A redacted copy of a log record (or child bindings). */
export function redactRecord(record: Record<string, unknown>): Record<string, unknown> {
  return walk(record, 0, new WeakSet(), false) as Record<string, unknown>;
}
