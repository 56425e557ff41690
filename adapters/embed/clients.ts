/**
 * The configured apps, by client id, and the one check of where a result may go: an absolute
 * http(s) URL without credentials whose origin equals an allowed return URL's origin exactly and
 * whose path is that URL's path or below it (`/payroll` allows `/payroll/q3`, not `/payroll-x`).
 * The URL is compared after parsing, and the parsed form is the one redirected to.
 */
import type { EmbedClientConfig } from './config.js';

export interface EmbedClient {
  id: string;
  /** The HS256 key of the app's requests. */
  key: Uint8Array;
  audience: string;
  returnUrls: readonly URL[];
}

const MAX_URL = 4096;

function under(prefix: string, path: string): boolean {
  if (path === prefix) return true;
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

export class EmbedClients {
  private readonly byId = new Map<string, EmbedClient>();

  constructor(configs: readonly EmbedClientConfig[]) {
    for (const c of configs) {
      this.byId.set(c.id, { id: c.id, key: new TextEncoder().encode(c.secret), audience: c.audience ?? c.id, returnUrls: c.returnUrls.map((u) => new URL(u)) });
    }
  }

  find(id: unknown): EmbedClient | null {
    return typeof id === 'string' ? (this.byId.get(id) ?? null) : null;
  }

  /** The parsed URL when `client` may be sent back there; null otherwise. */
  returnTarget(client: EmbedClient, raw: unknown): URL | null {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL) return null;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.username !== '' || url.password !== '') return null;
    return client.returnUrls.some((allowed) => allowed.origin === url.origin && under(allowed.pathname, url.pathname)) ? url : null;
  }
}
