/**
 * The forms proxy bench once got a 502 through the proxy: a pooled upstream connection the app
 * closed (its keep-alive timeout) just as the proxy reused it. Reproduced without timing: an app
 * that accepts the first request on a connection and drops the connection when a second one
 * arrives on it, which is what the client sees when the close and the reuse cross.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPassThrough } from '../../../adapters/forms-proxy/proxy.js';
import { TrustedProxies } from '../../../adapters/forms-proxy/header-hygiene.js';

interface Rig {
  front: string;
  /** Requests the app answered, with the X-Forwarded-For it saw and the body it read. */
  answered: { method: string; xff: string | undefined; body: string }[];
  /** Requests that arrived on a reused connection and had it dropped. */
  dropped: number;
  upstreamErrors: string[];
  close(): Promise<void>;
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function startRig(): Promise<Rig> {
  const seen = new WeakMap<Socket, number>();
  const r = { answered: [], dropped: 0, upstreamErrors: [] } as unknown as Rig;
  const app = createServer((req, res) => {
    const n = (seen.get(req.socket) ?? 0) + 1;
    seen.set(req.socket, n);
    if (n > 1) {
      r.dropped++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.answered.push({ method: req.method!, xff: req.headers['x-forwarded-for'] as string | undefined, body: Buffer.concat(chunks).toString() });
      res.end('hello from the app');
    });
  });
  const appUrl = await listen(app);
  const pass = createPassThrough({
    upstream: new URL(appUrl),
    publicOrigin: () => r.front,
    cookieDomain: '',
    trustedProxies: new TrustedProxies([]),
    ownCookies: [],
    proxyTimeoutMs: 10_000,
    onUpstreamError(err, _req, target) {
      r.upstreamErrors.push((err as NodeJS.ErrnoException).code ?? err.message);
      if ('writeHead' in target && !target.headersSent) {
        target.statusCode = 502;
        target.end('bad gateway');
      } else target.destroy();
    },
  });
  const front = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/held-body') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => pass.web(req, res, { body: Buffer.concat(chunks) }));
      return;
    }
    pass.web(req, res);
  });
  r.front = await listen(front);
  r.close = async () => {
    pass.close();
    front.closeAllConnections();
    app.closeAllConnections();
    await Promise.all([new Promise((d) => front.close(d)), new Promise((d) => app.close(d))]);
  };
  return r;
}

/** One request on a fresh connection to the front (so only the proxy's upstream pool is reused). */
function send(url: string, opts: { method?: string; path?: string; body?: string; chunked?: boolean } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (opts.body !== undefined && !opts.chunked) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = request({ host: u.hostname, port: u.port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

describe('forms-proxy: a pooled upstream connection the app closed as it was reused', () => {
  it('sends a GET again on a fresh connection instead of answering 502', async () => {
    rig = await startRig();
    expect(await send(rig.front)).toEqual({ status: 200, body: 'hello from the app' });
    const second = await send(rig.front);
    expect(rig.dropped).toBe(1); // the reused connection really was dropped by the app
    expect(second).toEqual({ status: 200, body: 'hello from the app' });
    expect(rig.upstreamErrors).toEqual([]);
    // The retried request carries the headers of the first try, not the proxy's additions twice.
    expect(rig.answered[1]!.xff).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('replays a body the proxy had already read, byte for byte', async () => {
    rig = await startRig();
    await send(rig.front);
    const reply = await send(rig.front, { method: 'POST', path: '/held-body', body: 'username=alice&x=1' });
    expect(rig.dropped).toBe(1);
    expect(reply.status).toBe(200);
    expect(rig.answered[1]).toMatchObject({ method: 'POST', body: 'username=alice&x=1' });
  });

  it('does not replay a streamed body it no longer has: 502 and one upstream error', async () => {
    rig = await startRig();
    await send(rig.front);
    const reply = await send(rig.front, { method: 'POST', path: '/stream', body: 'streamed-body', chunked: true });
    expect(rig.dropped).toBe(1);
    expect(reply.status).toBe(502);
    expect(rig.upstreamErrors).toEqual(['ECONNRESET']);
    expect(rig.answered).toHaveLength(1);
  });
});
