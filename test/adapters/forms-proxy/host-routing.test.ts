/**
 * Apps reached by Host name are served from the main listener through the instance's
 * `handleHostRouted` hook. Until the host calls it, this test plays the host's part with a
 * listener that offers each request to the hook first.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RawBrowser } from './support/raw-client.js';
import { form, hasAppCookie, startRig, URLENCODED, ALICE, type Rig } from './support/rig.js';

let rig: Rig;
let front: Server;
let origin: string;

beforeAll(async () => {
  rig = await startRig({ listen: { hostname: 'intranet.test' } });
  front = createServer((req, res) => {
    if (!rig.proxy.handleHostRouted(req, res)) res.writeHead(404).end('main listener');
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});

afterAll(async () => {
  front.closeAllConnections();
  await new Promise<void>((r) => front.close(() => r()));
  await rig.close();
});

it('serves the app for its Host name only, with the same login interception', async () => {
  const b = new RawBrowser();
  expect(rig.proxy.servers!()).toHaveLength(0);
  expect(rig.app).toMatch(/^http:\/\/intranet\.test:\d+$/);
  const css = await b.send(origin, { path: '/public/style.css', headers: { host: 'intranet.test' } });
  expect(css.status).toBe(200);
  expect(css.body).toContain('font-family');
  expect((await b.send(origin, { path: '/public/style.css', headers: { host: 'elsewhere.test' } })).body).toBe('main listener');
  const held = await b.send(origin, { method: 'POST', path: '/ACCOUNT/login/', headers: { ...URLENCODED, host: 'INTRANET.test:80' }, body: form(ALICE) });
  expect(held.status).toBe(303);
  expect(hasAppCookie(held)).toBe(false);
  expect(String(held.headers.location)).toContain('/forms-proxy/start/');
});
