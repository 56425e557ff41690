/**
 * The one layer every request passes before the routes (src/host/request-steps.ts): its steps run
 * in order, one that answers ends the request there, one that throws reaches the error handler;
 * and the request metric, a step of it, counts each completed response once and a response whose
 * connection was cut not at all.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/kit/metrics.js';
import { requestSteps, type RequestStep } from '../../src/host/request-steps.js';

async function withApp(app: express.Express, fn: (url: string) => Promise<void>): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/** Sends a GET and cuts the connection after `ms`, before any answer. */
function cutAfter(url: string, path: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`);
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), ms);
  });
}

describe('request steps', () => {
  it('run in order before the routes; a step that answers ends the request; a step that throws reaches the error handler', async () => {
    const seen: string[] = [];
    const step =
      (name: string): RequestStep =>
      (req, res) => {
        seen.push(`${name} ${req.path}`);
        if (name === 'b' && req.path === '/answered') {
          res.status(204).end();
          return true;
        }
        if (name === 'b' && req.path === '/thrown') throw new Error('step failed');
        res.setHeader(`X-Step-${name}`, '1');
        return false;
      };
    const app = express();
    app.use(requestSteps([step('a'), step('b'), step('c')]));
    app.get('/answered', (_req, res) => {
      seen.push('route /answered');
      res.send('route');
    });
    app.get('/page', (_req, res) => {
      seen.push('route /page');
      res.send('page');
    });
    const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
      res.status(500).send(`handled: ${err.message}`);
    };
    app.use(onError);
    await withApp(app, async (url) => {
      const page = await fetch(`${url}/page`);
      expect(await page.text()).toBe('page');
      expect([page.headers.get('x-step-a'), page.headers.get('x-step-b'), page.headers.get('x-step-c')]).toEqual(['1', '1', '1']);
      expect(seen.splice(0)).toEqual(['a /page', 'b /page', 'c /page', 'route /page']);

      const answered = await fetch(`${url}/answered`);
      expect(answered.status).toBe(204);
      expect(answered.headers.get('x-step-c')).toBeNull();
      expect(seen.splice(0)).toEqual(['a /answered', 'b /answered']);

      const thrown = await fetch(`${url}/thrown`);
      expect(thrown.status).toBe(500);
      expect(await thrown.text()).toBe('handled: step failed');
      expect(seen.splice(0)).toEqual(['a /thrown', 'b /thrown']);
    });
  });

  it('time each completed response once in the duration metric, labelled by its full route template, and leave out a response whose connection was cut', async () => {
    const metrics = createMetrics();
    const app = express();
    app.use(requestSteps([metrics.requestStep]));
    app.get('/done', (_req, res) => {
      res.send('done');
    });
    // A router mounted at a path: its routes are labelled with the full template, also when one passes an error on.
    const mountedRouter = express.Router();
    mountedRouter.get('/page/:id', (_req, res) => {
      res.send('page');
    });
    mountedRouter.get('/fails', (_req, _res, next) => {
      next(Object.assign(new Error('no'), { status: 400 }));
    });
    metrics.labelMounted(mountedRouter, '/mounted/');
    app.use('/mounted', mountedRouter);
    let hung = 0;
    app.get('/hang', () => {
      hung++; // never answers: the client gives up
    });
    await withApp(app, async (url) => {
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/done`)).status).toBe(200);
      expect((await fetch(`${url}/mounted/page/42`)).status).toBe(200);
      expect((await fetch(`${url}/mounted/fails`)).status).toBe(400);
      await cutAfter(url, '/hang', 50);
      expect(hung).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
    });
    const text = await metrics.registry.getSingleMetricAsString('factorgate_http_request_duration_seconds');
    expect(text).toContain('factorgate_http_request_duration_seconds_count{route="/done",status="2xx"} 3');
    expect(text).not.toContain('/hang');
    expect(text).toContain('factorgate_http_request_duration_seconds_count{route="/mounted/page/:id",status="2xx"} 1');
    expect(text).toContain('factorgate_http_request_duration_seconds_count{route="/mounted/fails",status="4xx"} 1');
  });
});
