/**
 * A browser-like client that sends request-targets byte for byte (fetch and the WHATWG URL
 * parser would already normalise `..`, `\` and `%2e`, hiding exactly what is under test).
 * One cookie jar for every port of a host, as browsers do (RFC 6265 §8.5: cookies do not
 * isolate by port).
 */
import { request } from 'node:http';
import { decodeHtml } from '../../../support/html-text.js';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  setCookies: string[];
  body: string;
}

export interface RawRequest {
  method?: string;
  /** Exact request-target, e.g. `//Account/./Login;x=1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces. */
  chunked?: boolean;
  /** Leave the jar out of this request. */
  noCookies?: boolean;
}

export class RawBrowser {
  readonly jar = new Map<string, string>();

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  send(origin: string, r: RawRequest): Promise<RawReply> {
    const u = new URL(origin);
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (!r.noCookies && this.jar.size > 0 && !('cookie' in headers)) headers.cookie = this.cookieHeader();
    if (r.body !== undefined && !r.chunked) headers['content-length'] = String(Buffer.byteLength(r.body));
    if (r.chunked) headers['transfer-encoding'] = 'chunked';
    return new Promise((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, method: r.method ?? 'GET', path: r.path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const setCookies = res.headers['set-cookie'] ?? [];
          for (const line of setCookies) {
            const [pair = ''] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.jar.delete(name);
            else this.jar.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, setCookies, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (r.body !== undefined && r.chunked) {
        const buf = Buffer.from(r.body);
        const piece = buf.length < 4096 ? 7 : 65536;
        for (let i = 0; i < buf.length; i += piece) req.write(buf.subarray(i, i + piece));
      } else if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  /** Follows a Location, or a page's meta refresh, as a browser would (GET). */
  follow(reply: RawReply, base: string): Promise<RawReply> {
    const found = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(reply.body)?.[1];
    const refresh = found === undefined ? undefined : decodeHtml(found);
    const target = reply.headers.location ?? refresh;
    if (target === undefined) throw new Error(`nothing to follow in a ${reply.status} reply`);
    const loc = new URL(String(target), base);
    return this.send(loc.origin, { path: loc.pathname + loc.search });
  }
}
