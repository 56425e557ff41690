import { request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { describe, expect, it } from 'vitest';
import { hostHelmetOptions, precomputedHeaders, recordHeaderOps } from '../../src/host/security-headers.js';

/** The raw header lines (names as sent, in order) of a GET / to an app with `headers` then a small page. */
async function rawHeadersWith(headers: RequestHandler): Promise<string[]> {
  const app = express();
  app.disable('x-powered-by');
  app.use(headers);
  app.get('/', (_req, res) => {
    res.setHeader('Date', 'Sun, 06 Dec 2026 00:00:00 GMT');
    res.send('<p>hello</p>');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string[]>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', headers: { connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.rawHeaders));
      })
        .on('error', reject)
        .end();
    });
  } finally {
    server.close();
  }
}

// The host's own options (what build-app.ts passes), on plain HTTP and behind TLS, with a logo URL.
const HOST_OPTIONS: Record<string, HelmetOptions> = {
  'plain HTTP': hostHelmetOptions({ secure: false }),
  'HTTPS with a logo': hostHelmetOptions({ secure: true, logoUrl: 'https://cdn.example.test/logo.png' }),
};

describe('security headers computed once', () => {
  for (const [name, options] of Object.entries(HOST_OPTIONS)) {
    it(`sends exactly helmet's header lines, in helmet's order (${name})`, async () => {
      const fromHelmet = await rawHeadersWith(helmet(options));
      const precomputed = await rawHeadersWith(precomputedHeaders(helmet(options)));
      expect(precomputed).toEqual(fromHelmet);
      const headers: IncomingHttpHeaders = Object.fromEntries(
        precomputed.flatMap((v, i, all) => (i % 2 === 0 ? [[v.toLowerCase(), all[i + 1]]] : [])),
      );
      expect(headers['content-security-policy']).toContain("form-action 'self'");
      expect(headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(headers['strict-transport-security'] !== undefined).toBe(options.strictTransportSecurity === true);
    });
  }

  it("keeps helmet's removal of X-Powered-By", () => {
    expect(recordHeaderOps(helmet())).toContainEqual({ remove: 'X-Powered-By' });
  });

  it('refuses options whose headers depend on the request (a per-request CSP nonce)', () => {
    const nonce: HelmetOptions = {
      contentSecurityPolicy: { directives: { 'script-src': ["'self'", (_req, res) => `'nonce-${String((res as { locals?: { nonce?: string } }).locals?.nonce)}'`] } },
    };
    expect(() => precomputedHeaders(helmet(nonce))).toThrow(/cannot be computed once/);
  });
});
