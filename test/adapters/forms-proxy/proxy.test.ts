import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawBrowser } from './support/raw-client.js';
import { signedIn, startRig, type Rig } from './support/rig.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Opens a WebSocket by hand (RFC 6455 §4.1), sends one masked text frame, reads the echo. */
function websocketRoundTrip(origin: string, path: string, cookie: string, text: string): Promise<{ status: number; echo?: string }> {
  const u = new URL(origin);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13', cookie } });
    req.on('response', (res) => resolve({ status: res.statusCode ?? 0 }));
    req.on('upgrade', (res, socket: Socket) => {
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) reject(new Error('bad accept'));
      const payload = Buffer.from(text);
      const mask = randomBytes(4);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]));
      socket.once('data', (frame: Buffer) => {
        socket.destroy();
        resolve({ status: 101, echo: frame.subarray(2, 2 + (frame[1]! & 0x7f)).toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('forms-proxy: pass-through', () => {
  it('drops client-sent X-Forwarded-* from an untrusted peer and sets its own', async () => {
    rig = await startRig({ protect: 'none' });
    const reply = await new RawBrowser().send(rig.app, { path: '/echo', headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6' } });
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.headers['x-forwarded-for']).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(echo.headers['x-forwarded-host']).toBe(new URL(rig.app).host);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers.forwarded).toBeUndefined();
    expect(echo.headers['x-real-ip']).toBeUndefined();
    expect(echo.headers.host).toBe(new URL(rig.legacy.url).host);
  });

  it('keeps X-Forwarded-* from a configured proxy and appends the peer', async () => {
    rig = await startRig({ protect: 'none', trustedProxies: ['loopback'] });
    const reply = await new RawBrowser().send(rig.app, { path: '/echo', headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.9,(::ffff:)?127\.0\.0\.1$/);
    expect(echo.headers['x-forwarded-proto']).toBe('https,http');
  });

  it('drops hop-by-hop headers, including those named in Connection (RFC 9110 §7.6.1)', async () => {
    rig = await startRig({ protect: 'none' });
    const reply = await new RawBrowser().send(rig.app, {
      path: '/echo',
      headers: { connection: 'keep-alive, X-Hop-Secret', 'x-hop-secret': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'Basic Zm9vOmJhcg==', 'x-end-to-end': 'kept' },
    });
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.headers['x-hop-secret']).toBeUndefined();
    expect(echo.headers['keep-alive']).toBeUndefined();
    expect(echo.headers.te).toBeUndefined();
    expect(echo.headers['proxy-authorization']).toBeUndefined();
    expect(echo.headers['x-end-to-end']).toBe('kept');
  });

  it('never shows the app factorgate\'s own cookies', async () => {
    rig = await startRig();
    const { browser: b } = await signedIn(rig);
    expect(b.jar.has('fg_intranet')).toBe(true);
    const echo = JSON.parse((await b.send(rig.app, { path: '/echo', headers: { cookie: `${b.cookieHeader()}; theme=dark` } })).body) as Echo;
    expect(echo.headers.cookie).toContain('.ASPXAUTH=');
    expect(echo.headers.cookie).toContain('theme=dark');
    expect(echo.headers.cookie).not.toContain('fg_intranet');
  });

  it('rewrites Location and cookie Domain when the app lives on another host', async () => {
    rig = await startRig({ protect: 'none', publicUrl: 'http://intranet.example.test' });
    const port = (rig.proxy.servers!()[0]!.address() as AddressInfo).port;
    const reply = await new RawBrowser().send(`http://127.0.0.1:${port}`, { path: '/go-secret' });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe('http://intranet.example.test/secret');
    const pref = reply.setCookies.find((c) => c.startsWith('pref='))!;
    expect(pref).not.toMatch(/domain=/i);
  });

  it('splices WebSocket upgrades for a signed-in browser and refuses them otherwise', async () => {
    rig = await startRig();
    const { browser: b } = await signedIn(rig);
    expect(await websocketRoundTrip(rig.app, '/ws', b.cookieHeader(), 'hello')).toEqual({ status: 101, echo: 'hello' });
    expect((await websocketRoundTrip(rig.app, '/ws', '', 'hello')).status).toBe(401);
  });

  it('streams a large upload through without holding it', async () => {
    rig = await startRig({ protect: 'none' });
    const body = 'x'.repeat(5 * 1024 * 1024);
    const reply = await new RawBrowser().send(rig.app, { method: 'POST', path: '/echo', headers: { 'content-type': 'application/octet-stream' }, body, chunked: true });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as Echo).headers['transfer-encoding']).toBe('chunked');
  });

  it('streams replies as they come (no buffering of pass-through responses)', async () => {
    rig = await startRig({ protect: 'none' });
    const u = new URL(rig.app);
    const started = Date.now();
    const firstChunkAt = await new Promise<{ first: number; end: number; text: string }>((resolve, reject) => {
      request({ host: u.hostname, port: u.port, path: '/slow' }, (res) => {
        let first = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          if (!first) first = Date.now() - started;
          text += c.toString();
        });
        res.on('end', () => resolve({ first, end: Date.now() - started, text }));
      })
        .on('error', reject)
        .end();
    });
    expect(firstChunkAt.text).toBe('first part\nsecond part\n');
    expect(firstChunkAt.end - firstChunkAt.first).toBeGreaterThanOrEqual(200);
  });

  it('survives the app dying mid-reply and keeps serving', async () => {
    rig = await startRig({ protect: 'none' });
    await new RawBrowser().send(rig.app, { path: '/die' }).catch(() => undefined);
    const next = await new RawBrowser().send(rig.app, { path: '/public/style.css' });
    expect(next.status).toBe(200);
    expect(rig.logs.some((l) => l.includes('upstream app cut its reply short'))).toBe(true);
  });

  it('drops hop-by-hop headers of the app\'s reply too', async () => {
    rig = await startRig({ protect: 'none' });
    const reply = await new RawBrowser().send(rig.app, { path: '/hop' });
    expect(reply.headers['x-internal-route']).toBeUndefined();
    expect(reply.headers['x-visible']).toBe('yes');
  });

  it('answers 502 when the app cuts a login reply short (nothing is held)', async () => {
    rig = await startRig({ loginPaths: ['/die'], loginMethods: ['GET'], success: { status: [200] } });
    const reply = await new RawBrowser().send(rig.app, { path: '/die' });
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('is not answering');
    expect(await rig.running.host.api.store.db.selectFrom('forms_proxy_pending' as never).selectAll().execute()).toHaveLength(0);
  });
});
