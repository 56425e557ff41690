/**
 * The URL a verify request is about, as Authelia reads it: `X-Original-URL` (nginx
 * `auth_request`), else `X-Forwarded-Proto` + `X-Forwarded-Host` + `X-Forwarded-Uri` (Traefik
 * `forwardAuth`, Caddy `forward_auth`). Only from a trusted proxy: anyone else could name any
 * URL, so such a request gets no answer but 403.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export class TrustedProxies {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [ip = '', bits] = entry.split('/');
      const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(ip, type);
      else this.list.addSubnet(ip, Number(bits), type);
    }
  }

  has(address: string | undefined): boolean {
    if (!address) return false;
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const ip = v4mapped ?? address;
    const type = isIP(ip);
    if (type === 0) return false;
    return this.list.check(ip, type === 6 ? 'ipv6' : 'ipv4');
  }
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined;
  return v;
}

/** The original URL from the proxy's headers, or null when they name none (or a malformed one). */
export function originalUrl(headers: IncomingHttpHeaders): URL | null {
  const original = one(headers, 'x-original-url');
  let text: string | undefined = original;
  if (text === undefined) {
    const proto = one(headers, 'x-forwarded-proto');
    const host = one(headers, 'x-forwarded-host');
    const uri = one(headers, 'x-forwarded-uri') ?? '/';
    if (!proto || !host) return null;
    if (!uri.startsWith('/')) return null;
    text = `${proto}://${host}${uri}`;
  }
  if (text.length > 8192) return null;
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.username !== '' || url.password !== '') return null;
    return url;
  } catch {
    return null;
  }
}
