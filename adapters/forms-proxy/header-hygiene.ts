/**
 * Header hygiene at the proxy boundary, shared by the streaming pass-through and the held
 * login reply so both rewrite the same way: hop-by-hop headers, X-Forwarded-* trust, the
 * Cookie header the app sees, and Location / Set-Cookie when the app lives on another host.
 */
import { BlockList, isIP } from 'node:net';

export type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * RFC 9110 §7.6.1: Connection and every header it names are for one hop only, as are the
 * classic hop-by-hop fields (Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade,
 * Proxy-Authenticate/-Authorization). Transfer-Encoding is handled apart: Node re-frames
 * bodies itself, and the request side keeps it so a body is never sent unframed.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization'];

export function dropHopByHop(headers: HeaderBag, options: { keepUpgrade?: boolean } = {}): void {
  const named = headers.connection;
  const drop = (h: string): void => {
    if (options.keepUpgrade && (h === 'connection' || h === 'upgrade')) return;
    if (h === 'transfer-encoding' || h === 'host' || h === 'content-length') return;
    if (headers[h] !== undefined) delete headers[h];
  };
  for (const h of HOP_BY_HOP) drop(h);
  if (named === undefined) return;
  for (const item of (Array.isArray(named) ? named.join(',') : named).split(',')) {
    const h = item.trim().toLowerCase();
    if (h) drop(h);
  }
}

const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'x-client-ip'];

/** Peers allowed to vouch for the client (IP, CIDR or "loopback"), via node's BlockList. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const e of entries) {
      if (e === 'loopback') {
        this.#list.addSubnet('127.0.0.0', 8, 'ipv4');
        this.#list.addAddress('::1', 'ipv6');
        continue;
      }
      const [addr, bits] = e.split('/');
      const family = isIP(addr ?? '');
      if (family === 0) throw new Error(`trusted proxy "${e}" is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.#list.addAddress(addr!, type);
      else this.#list.addSubnet(addr!, Number(bits), type);
    }
  }

  trusts(remoteAddress: string | undefined): boolean {
    if (this.#empty || !remoteAddress) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(remoteAddress);
    if (mapped) return this.#list.check(mapped[1]!, 'ipv4');
    return this.#list.check(remoteAddress, isIP(remoteAddress) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address as regulation and the audit should see it: the peer, unless it is a
   * trusted proxy; then X-Forwarded-For read from the right, skipping trusted hops, up to the
   * first address nobody we trust vouches for (what Express's `trust proxy` does for `req.ip`).
   */
  clientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
    if (!this.trusts(remoteAddress)) return remoteAddress;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
    let client = remoteAddress;
    for (let i = hops.length - 1; i >= 0; i--) {
      if (isIP(hops[i]!) === 0) break;
      client = hops[i];
      if (!this.trusts(client)) break;
    }
    return client;
  }
}

/**
 * Incoming X-Forwarded-* / Forwarded are the client's word; the app would log or trust a
 * forged address. They are dropped unless the peer is a configured proxy; the proxy library
 * then appends the real peer (`xfwd`).
 */
export function sanitizeForwarded(headers: HeaderBag, peerTrusted: boolean): void {
  if (peerTrusted) return;
  for (const h of FORWARDED) delete headers[h];
}

/** Removes factorgate's own cookies from the Cookie header the app receives. */
export function stripCookies(headers: HeaderBag, names: readonly string[]): void {
  const raw = headers.cookie;
  if (raw === undefined) return;
  const all = Array.isArray(raw) ? raw.join('; ') : raw;
  const kept = all
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !names.includes(p.split('=')[0]!.trim()));
  if (kept.length === 0) delete headers.cookie;
  else headers.cookie = kept.join('; ');
}

/** The value of a cookie in a Cookie header, or undefined (the first one, as browsers order). */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const all = Array.isArray(header) ? header.join('; ') : header;
  for (const part of all.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface OriginRewrite {
  /** The upstream's origin, e.g. http://10.0.0.5:8080. */
  upstreamOrigin: string;
  /** The origin browsers use for the app, e.g. https://intranet.example. */
  publicOrigin: string;
  /** Domain to put on the app's cookies instead of the upstream's ('' removes it). */
  cookieDomain: string;
}

/** Points an absolute Location at the upstream back to the public origin (RFC 9110 §10.2.2). */
export function rewriteLocation(location: string, r: OriginRewrite): string {
  let u: URL;
  try {
    u = new URL(location, r.upstreamOrigin);
  } catch {
    return location;
  }
  if (u.origin !== r.upstreamOrigin || !/^[a-z][a-z0-9+.-]*:/i.test(location)) return location;
  return r.publicOrigin + u.pathname + u.search + u.hash;
}

/**
 * Rewrites the Domain attribute of the app's cookies (RFC 6265 §5.2.3) when it names the
 * upstream host, which browsers would otherwise reject for the public host.
 */
export function rewriteSetCookie(value: string, upstreamHost: string, r: OriginRewrite): string {
  return value.replace(/;\s*domain=([^;]*)/i, (match, domain: string) => {
    const d = domain.trim().replace(/^\./, '').toLowerCase();
    if (d !== upstreamHost.toLowerCase()) return match;
    return r.cookieDomain ? `; Domain=${r.cookieDomain}` : '';
  });
}

/** The name and value of a Set-Cookie header value. */
export function setCookieNameValue(value: string): { name: string; value: string } {
  const first = value.split(';')[0]!;
  const eq = first.indexOf('=');
  return eq === -1 ? { name: '', value: first.trim() } : { name: first.slice(0, eq).trim(), value: first.slice(eq + 1).trim() };
}

/** Whether a Set-Cookie deletes its cookie (empty value, Max-Age≤0 or an Expires in the past). */
export function isCookieDeletion(value: string, nowMs: number): boolean {
  if (setCookieNameValue(value).value === '') return true;
  const maxAge = /;\s*max-age=(-?\d+)/i.exec(value);
  if (maxAge) return Number(maxAge[1]) <= 0;
  const expires = /;\s*expires=([^;]*)/i.exec(value);
  if (expires) {
    const t = Date.parse(expires[1]!);
    return Number.isFinite(t) && t <= nowMs;
  }
  return false;
}

/** Set-Cookie values as a list. */
export function setCookieList(v: string | string[] | number | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}
