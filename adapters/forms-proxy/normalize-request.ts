/**
 * The ONE place a request path is turned into the form the upstream app would route on. Every
 * decision about "is this the login form / a protected page / the logout path" is taken on
 * this output, never on the raw URL, so a spelling the app accepts cannot slip past.
 *
 * The rule when servers disagree: normalise towards the most lenient reading any common
 * upstream (IIS/ASP.NET, Tomcat, PHP, Express) applies. Over-matching only means factorgate
 * asks for a second factor where it was not strictly needed; under-matching is a bypass.
 * Spellings whose reading differs between servers and that no browser produces (encoded
 * separators, double encoding, invalid UTF-8) are refused with a 400 instead.
 */
import { FactorgateError } from '../../src/sdk/adapter.js';

export interface NormalizeOptions {
  /** Fold case as IIS does (ordinal ignore-case, plus NFKC compatibility forms). */
  caseInsensitive: boolean;
}

export interface NormalizedTarget {
  /** The path as the upstream would route it: decoded, no dot segments, no params, folded. */
  path: string;
  /** The raw query string without the `?` ('' when none). */
  query: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function refuse(detail: string): FactorgateError {
  return new FactorgateError('BAD_REQUEST', { detail: `request path refused: ${detail}` });
}

/**
 * Percent-decodes once (RFC 3986 §2.1). Encoded separators `%2F`/`%5C` and NUL are refused:
 * some servers decode them before routing (IIS with allowDoubleEscaping, Tomcat with
 * ALLOW_ENCODED_SLASH) and others do not, so no single reading is safe. A `%` surviving the
 * decode means double encoding, which IIS request filtering also refuses by default. Bytes
 * must form valid UTF-8 (RFC 3629 §3 forbids overlong forms such as `%C0%AF` for `/`).
 */
function decodeOnce(raw: string): string {
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw refuse('invalid percent-encoding');
      const b = parseInt(hex, 16);
      if (b === 0x2f || b === 0x5c) throw refuse('encoded path separator');
      if (b === 0x25) throw refuse('double percent-encoding');
      bytes.push(b);
      i += 2;
    } else {
      bytes.push(ch);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw refuse('invalid UTF-8 after percent-decoding');
  }
}

/** RFC 3986 §5.2.4 "Remove Dot Segments", on a path already split into segments. */
function removeDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const seg of segments) {
    if (seg === '.') continue;
    if (seg === '..') {
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out;
}

/**
 * IIS and .NET compare paths with OrdinalIgnoreCase, which upper-cases: `ı` (dotless i) and
 * `ſ` (long s) then equal `I` and `S`. Upper- then lower-casing folds both directions; NFKC
 * additionally maps compatibility forms (full-width letters) onto ASCII.
 */
function foldCase(s: string): string {
  // ASCII alone (the usual path) has no compatibility forms and folds by lower-casing.
  if (/^[\u0020-\u007e]*$/.test(s)) return s.toLowerCase();
  return s.normalize('NFKC').toUpperCase().toLowerCase();
}

/** Normalises one request-target (RFC 9112 §3.2, origin-form only). Throws BAD_REQUEST. */
export function normalizeTarget(rawUrl: string, options: NormalizeOptions): NormalizedTarget {
  if (rawUrl.length > 8192) throw refuse('request-target too long');
  if (!rawUrl.startsWith('/')) throw refuse('not an origin-form request-target');
  if (rawUrl.includes('#')) throw refuse('fragment in request-target');
  // RFC 3986 §2 allows only ASCII in a URI; browsers percent-encode the rest. Raw octets would
  // be read as latin1 by one server and UTF-8 by another.
  if (/[^\u0021-\u007e]/.test(rawUrl)) throw refuse('raw non-ASCII, space or control character in request-target');
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? '' : rawUrl.slice(q + 1);

  // IIS treats `\` as `/`, both raw and (had we allowed it) encoded.
  const decoded = decodeOnce(rawPath.replaceAll('\\', '/')).replaceAll('\\', '/');
  // Control characters never appear in a legitimate path and are read differently by servers.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw refuse('control character in path');

  const segments = decoded.split('/').map((seg) => {
    // `;` path parameters (RFC 3986 §3.3; Tomcat's `;jsessionid=`) are dropped by servlet
    // containers before routing, so `/Login;x=y` is `/Login`.
    const semi = seg.indexOf(';');
    let s = semi === -1 ? seg : seg.slice(0, semi);
    // Windows path handling (IIS) ignores trailing dots and spaces: `Login.` is `Login`.
    if (!/^\.+$/.test(s)) s = s.replace(/[. ]+$/, '');
    return s;
  });
  // Doubled slashes leave empty segments; servers collapse them (IIS, Tomcat, nginx merge_slashes).
  const kept = removeDotSegments(segments.filter((s) => s !== ''));
  let path = '/' + kept.join('/');
  if (options.caseInsensitive) path = foldCase(path);
  return { path, query };
}

/** Normalises a path taken from configuration the same way, so both sides compare equal. */
export function normalizeConfiguredPath(configured: string, options: NormalizeOptions): string {
  return normalizeTarget(configured, options).path;
}

/**
 * Path patterns in configuration: an exact path, `/prefix/*` (exactly one more segment) or
 * `/prefix/**` (the prefix itself or anything below it).
 */
export interface PathMatcher {
  matches(normalizedPath: string): boolean;
}

export function compilePathPatterns(patterns: readonly string[], options: NormalizeOptions): PathMatcher {
  const exact = new Set<string>();
  const oneLevel: string[] = [];
  const anyDepth: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('/**')) anyDepth.push(normalizeConfiguredPath(p.slice(0, -3) || '/', options));
    else if (p.endsWith('/*')) oneLevel.push(normalizeConfiguredPath(p.slice(0, -2) || '/', options));
    else exact.add(normalizeConfiguredPath(p, options));
  }
  const under = (prefix: string, path: string): string | null => {
    if (prefix === '/') return path.slice(1);
    if (path === prefix) return '';
    return path.startsWith(prefix + '/') ? path.slice(prefix.length + 1) : null;
  };
  return {
    matches(path) {
      if (exact.has(path)) return true;
      for (const prefix of anyDepth) if (under(prefix, path) !== null) return true;
      for (const prefix of oneLevel) {
        const rest = under(prefix, path);
        if (rest !== null && rest !== '' && !rest.includes('/')) return true;
      }
      return false;
    },
  };
}

/** Headers frameworks read to override the request method (Rails, Express, ASP.NET, Google). */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;

/** Form and query fields frameworks read to override the method (Rails, Laravel, method-override). */
export const METHOD_OVERRIDE_FIELD = '_method';

export interface RequestLike {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Every method the upstream might believe this request has: the request line's, each override
 * header's, and `_method` from the query. (A `_method` in the body is added by the caller
 * once the body is read.) Values are upper-cased; a comma-separated header counts each item.
 */
export function candidateMethods(req: RequestLike, query: string): Set<string> {
  const methods = new Set<string>([(req.method ?? 'GET').toUpperCase()]);
  for (const name of METHOD_OVERRIDE_HEADERS) {
    const v = req.headers[name];
    const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
    for (const item of values.flatMap((x) => x.split(','))) {
      const m = item.trim().toUpperCase();
      if (m) methods.add(m);
    }
  }
  if (query) {
    for (const [k, v] of new URLSearchParams(query)) {
      if (k.toLowerCase() === METHOD_OVERRIDE_FIELD) methods.add(v.trim().toUpperCase());
    }
  }
  return methods;
}

/** Whether the request carries a body (RFC 9112 §6.3: Transfer-Encoding or Content-Length > 0). */
export function hasBody(req: RequestLike): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

/** The paths of one app compiled once, in normalised form. */
export interface AppPaths {
  options: NormalizeOptions;
  login: PathMatcher;
  logout: PathMatcher | null;
  publicPaths: PathMatcher;
  /** null means "all paths"; a matcher that never matches means "none". */
  protect: PathMatcher | null;
  loginMethods: ReadonlySet<string>;
}

export function compileAppPaths(app: {
  caseInsensitivePaths: boolean;
  loginPaths: readonly string[];
  loginMethods: readonly string[];
  logoutPath?: string | undefined;
  publicPaths: readonly string[];
  protect: 'all' | 'none' | { patterns: readonly string[] };
}): AppPaths {
  const options = { caseInsensitive: app.caseInsensitivePaths };
  return {
    options,
    login: compilePathPatterns(app.loginPaths, options),
    logout: app.logoutPath ? compilePathPatterns([app.logoutPath], options) : null,
    publicPaths: compilePathPatterns(app.publicPaths, options),
    protect: app.protect === 'all' ? null : app.protect === 'none' ? compilePathPatterns([], options) : compilePathPatterns(app.protect.patterns, options),
    loginMethods: new Set(app.loginMethods.map((m) => m.toUpperCase())),
  };
}

export type LoginVerdict =
  /** Definitely a login submission. */
  | 'login'
  /** On a login path with a body: the body's `_method` decides (caller reads it). */
  | 'maybe'
  | 'no';

/**
 * Whether the app would treat this request as a login submission. Takes the normalised path
 * and the method candidates; a request with a body on a login path may still carry `_method`
 * in the body, so it is 'maybe' and the caller reads the body before deciding.
 */
export function isLoginRequest(paths: AppPaths, req: RequestLike, target: NormalizedTarget): LoginVerdict {
  if (!paths.login.matches(target.path)) return 'no';
  for (const m of candidateMethods(req, target.query)) if (paths.loginMethods.has(m)) return 'login';
  return hasBody(req) ? 'maybe' : 'no';
}
