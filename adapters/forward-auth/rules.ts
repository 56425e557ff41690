/**
 * Which protected host a URL belongs to, and whether a URL may be a redirect target: only an
 * absolute http(s) URL, without credentials, on a host some rule protects (an open redirect
 * through the login page is refused).
 */
import type { ForwardAuthRule } from './config.js';

export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

export class HostRules {
  constructor(private readonly rules: readonly ForwardAuthRule[]) {}

  /** The first rule naming the URL's host (port ignored), or null. */
  forUrl(url: URL): ForwardAuthRule | null {
    const host = url.hostname.toLowerCase();
    return this.rules.find((r) => hostMatches(r.host, host)) ?? null;
  }

  /** The URL when it is a safe place to send the browser back to; null otherwise. */
  redirectTarget(raw: unknown): URL | null {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > 4096) return null;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.username !== '' || url.password !== '') return null;
    return this.forUrl(url) ? url : null;
  }
}
