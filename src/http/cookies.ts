/** Cookie reading and the host's cookie attributes (DESIGN.md security baseline). */
import type { Request, Response, CookieOptions } from 'express';

/** Parses a Cookie header (RFC 6265 §5.4); the first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

export function readCookie(req: Request, name: string): string | undefined {
  return parseCookies(req.headers.cookie).get(name);
}

/**
 * Cookies are `Secure` unless the public URL is plain-HTTP localhost (the demo); secure ones
 * take the `__Host-` prefix, which browsers accept only with Secure, Path=/ and no Domain.
 */
export class CookiePolicy {
  readonly secure: boolean;
  constructor(publicUrl: string) {
    this.secure = new URL(publicUrl).protocol === 'https:';
  }
  name(base: string): string {
    return this.secure ? `__Host-${base}` : base;
  }
  options(maxAgeMs?: number): CookieOptions {
    return { httpOnly: true, secure: this.secure, sameSite: 'lax', path: '/', ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}) };
  }
  set(res: Response, base: string, value: string, maxAgeMs?: number): void {
    res.cookie(this.name(base), value, this.options(maxAgeMs));
  }
  clear(res: Response, base: string): void {
    res.clearCookie(this.name(base), { ...this.options(), maxAge: undefined });
  }
  read(req: Request, base: string): string | undefined {
    return readCookie(req, this.name(base));
  }
}
