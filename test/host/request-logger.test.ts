import { request } from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/audit/logger.js';
import { createRequestLogger } from '../../src/host/logging.js';

async function withApp(level: string, fn: (url: string, lines: Record<string, unknown>[]) => Promise<void>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level }, sink);
  const app = express();
  app.use(createRequestLogger(logger, { redactUrl, ignore: (req) => req.url === '/healthz' }));
  app.get('/ok', (req, res) => {
    res.json({ id: req.id });
  });
  app.get('/same-log', (req, res) => {
    const before = req.log;
    res.json({ same: before === res.log && before === req.log, bound: (before.bindings() as { req?: { url?: string } }).req?.url });
  });
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  app.get('/bad', (req, res) => {
    req.log.warn({ why: 'test' }, 'handler warning');
    res.status(400).send('no');
  });
  const mounted = express.Router();
  mounted.get('/page', (_req, res) => {
    res.send('inside a router');
  });
  app.use('/mounted', mounted);
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/error-then-end', (_req, res) => {
    // A response that reports an error and is then ended: 'error' and then 'close' reach the logger.
    res.status(500);
    res.emit('error', new Error('write failed'));
    res.end('partial');
  });
  app.get('/hang', () => {
    // never answers: the client gives up
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('request logger', () => {
  it('sets a request id (a well-formed incoming one is kept) and logs completed requests at info', async () => {
    await withApp('info', async (url, lines) => {
      const res = await fetch(`${url}/ok?SAMLRequest=secret-value&x=1`);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await res.json()).toEqual({ id });
      const kept = await fetch(`${url}/ok`, { headers: { 'x-request-id': 'abcdefgh-1234' } });
      expect(kept.headers.get('x-request-id')).toBe('abcdefgh-1234');
      const refused = await fetch(`${url}/ok`, { headers: { 'x-request-id': 'bad id!' } });
      expect(refused.headers.get('x-request-id')).not.toBe('bad id!');
      await fetch(`${url}/healthz`);
      await settle();
      const done = lines.filter((l) => l.msg === 'request completed');
      expect(done).toHaveLength(3);
      const first = done[0] as { level: number; req: { id: string; method: string; url: string }; res: { statusCode: number }; responseTime: number };
      expect(first.level).toBe(30);
      expect(first.req).toMatchObject({ id, method: 'GET' });
      expect(first.req.url).not.toContain('secret-value');
      expect(first.res.statusCode).toBe(200);
      expect(Number.isInteger(first.responseTime) && first.responseTime >= 0).toBe(true);
    });
  });

  it("gives req.log and res.log one child logger bound to the request, on Express's shared prototypes", async () => {
    await withApp('warn', async (url) => {
      expect(await (await fetch(`${url}/same-log?x=1`)).json()).toEqual({ same: true, bound: '/same-log?x=1' });
      // A request no logger saw (another app, same prototypes) has no log.
      const bare = express();
      bare.get('/', (req, res) => res.json({ log: typeof req.log }));
      const server = bare.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      try {
        expect(await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).json()).toEqual({ log: 'undefined' });
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });

  it('logs the full path of a request answered inside a mounted router', async () => {
    await withApp('info', async (url, lines) => {
      await fetch(`${url}/mounted/page?SAMLRequest=secret-value`);
      await settle();
      const line = lines.find((l) => l.msg === 'request completed') as { req: { url: string } };
      expect(line.req.url).toMatch(/^\/mounted\/page\?/);
      expect(line.req.url).not.toContain('secret-value');
    });
  });

  it('at warn, drops the info line but keeps 4xx warnings (with the request) and 5xx errors', async () => {
    await withApp('warn', async (url, lines) => {
      await fetch(`${url}/ok`);
      await fetch(`${url}/bad`);
      await fetch(`${url}/boom`);
      await settle();
      expect(lines.some((l) => l.msg === 'request completed' && (l.res as { statusCode: number }).statusCode === 200)).toBe(false);
      const handler = lines.find((l) => l.msg === 'handler warning') as { req: { url: string } } | undefined;
      expect(handler?.req.url).toBe('/bad');
      expect(lines.find((l) => l.msg === 'request completed' && l.level === 40)).toMatchObject({ res: { statusCode: 400 } });
      expect(lines.find((l) => l.level === 50 && l.msg === 'request errored')).toMatchObject({ res: { statusCode: 500 } });
    });
  });

  it('logs a request whose connection is cut before any answer once, as aborted', async () => {
    await withApp('info', async (url, lines) => {
      await new Promise<void>((resolve) => {
        const req = request(`${url}/hang`);
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.end();
        setTimeout(() => req.destroy(), 50);
      });
      await fetch(`${url}/ok`);
      await settle();
      const hang = lines.filter((l) => (l.req as { url?: string } | undefined)?.url === '/hang');
      expect(hang).toHaveLength(1);
      expect(hang[0]).toMatchObject({ msg: 'request aborted', level: 30 });
      expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
    });
  });

  it("logs a response that emits 'error' and is then ended once, as errored", async () => {
    await withApp('info', async (url, lines) => {
      const res = await fetch(`${url}/error-then-end`);
      expect(res.status).toBe(500);
      await res.text();
      await fetch(`${url}/ok`);
      await settle();
      const mine = lines.filter((l) => (l.req as { url?: string } | undefined)?.url === '/error-then-end');
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ msg: 'request errored', level: 50, res: { statusCode: 500 }, err: { message: 'write failed' } });
    });
  });
});
