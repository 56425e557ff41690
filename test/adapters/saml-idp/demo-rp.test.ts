/**
 * The `npm start` demo: with no configuration file the embedded defaults run the SAML IdP with
 * its built-in demo relying party, which signs a demo user in through the real challenge and
 * shows the subject, attributes and authentication context of the assertion it received.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { createLogger } from '../../../src/audit/logger.js';
import { loadConfig } from '../../../src/host/config/load.js';
import { createHost, type Host } from '../../../src/host/host.js';
import { builtinAdapters } from '../../../adapters/index.js';
import { freePort } from '../../support/free-port.js';
import { makeTempDir } from '../../support/host-harness.js';
import { TestBrowser } from '../../support/http-client.js';
import { signIn, type IdpHost } from './support.js';

let host: Host;
let url: string;
const clock = new ManualClock(Date.now() - 90_000);
const logs: string[] = [];

beforeAll(async () => {
  const dir = makeTempDir('fg-demo-');
  const port = await freePort();
  const loaded = loadConfig({ adapters: builtinAdapters, cwd: dir, env: { FACTORGATE_PORT: String(port), FACTORGATE_DATA: join(dir, 'data') } });
  expect(loaded.host.demo).toBe(true);
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    }),
  });
  host = await createHost({ loaded, adapters: builtinAdapters, logger, clock, devCertsDir: join(dir, 'certs') });
  url = (await host.listen()).url;
});
afterAll(async () => {
  await host.close();
});

describe('the npm start demo relying party', () => {
  it('answers a logout without a body or without a subject with a clean 400 page', async () => {
    const attempts: RequestInit[] = [
      { method: 'POST' },
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' },
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'nameID=&sessionIndex=1' },
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nameID":"alice"}' },
    ];
    for (const init of attempts) {
      const res = await fetch(`${url}/saml/idp/demo-rp/logout`, { ...init, redirect: 'manual' });
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain('Nothing to sign out of');
      expect(body).not.toMatch(/TypeError|at .*\.(ts|js):\d+/);
      expect(body).not.toContain(process.cwd());
    }
  });

  it('signs a demo user in and shows the assertion’s subject, attributes and multi-factor context', async () => {
    const demo = host.demoCredentials[0]!;
    const b = new TestBrowser(url);
    const home = await b.get('/saml/idp/demo-rp/');
    expect(await home.text()).toContain('href="login"');
    const idp = { clock, secrets: new Map(), logs } as unknown as IdpHost;
    const { form } = await signIn(idp, b, '/saml/idp/demo-rp/login', demo.username, demo.password);
    const acs = new URL(form.action);
    expect(acs.pathname).toBe('/saml/idp/demo-rp/acs');
    const res = await b.post(acs.pathname, form.fields);
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain(`<dd id="name-id">${demo.username}</dd>`);
    expect(html).toContain('<dd id="authn-context">http://schemas.microsoft.com/claims/multipleauthn</dd>');
    expect(html).toContain('http://schemas.microsoft.com/claims/authnmethodsreferences');
  });
});
