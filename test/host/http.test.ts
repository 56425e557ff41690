import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { TestBrowser } from '../support/http-client.js';
import { testAdapter } from '../support/test-adapter.js';

describe('the host over HTTP', () => {
  let h: RunningHost;
  beforeAll(async () => {
    h = await startHost();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers /healthz and /readyz, and serves Prometheus metrics', async () => {
    const b = new TestBrowser(h.url);
    const health = await b.get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await b.get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', directory: 'ok' } });
    const metrics = await (await b.get('/metrics')).text();
    expect(metrics).toContain('factorgate_http_request_duration_seconds_bucket');
    expect(metrics).toContain('process_resident_memory_bytes');
  });

  it('sets security headers and a request id on every response', async () => {
    const res = await new TestBrowser(h.url).get('/login', { 'x-request-id': 'req-12345678' });
    expect(res.headers.get('x-request-id')).toBe('req-12345678');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('sets the same security headers and a request id on a 404, an error page and an adapter route', async () => {
    const withAdapter = await startHost({ adapters: [testAdapter() as never], config: { adapters: { testApp: {} } } });
    try {
      const b = new TestBrowser(withAdapter.url);
      await b.form('/login');
      const ids = { notFound: 'req-notfound-1', errorPage: 'req-errpage-1', adapterRoute: 'req-adapter-1' };
      const answers = {
        notFound: await b.get('/no/such/page', { 'x-request-id': ids.notFound }),
        errorPage: await b.request('/login', { method: 'POST', body: 'username=alice&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': ids.errorPage } }),
        adapterRoute: await b.get('/test-app/start?user=nobody', { 'x-request-id': ids.adapterRoute }),
      };
      expect(answers.notFound.status).toBe(404);
      expect(await answers.notFound.text()).toContain('This page does not exist.');
      expect(answers.errorPage.status).toBe(403);
      expect(await answers.errorPage.text()).toContain('This form has expired');
      expect(answers.adapterRoute.status).toBe(404);
      expect(await answers.adapterRoute.text()).toBe('no such user');
      for (const name of ['notFound', 'errorPage', 'adapterRoute'] as const) {
        const res = answers[name];
        expect({ name, id: res.headers.get('x-request-id') }).toEqual({ name, id: ids[name] });
        expect({ name, csp: res.headers.get('content-security-policy') }).toEqual({ name, csp: expect.stringContaining("default-src 'self'") });
        expect({ name, frame: res.headers.get('x-frame-options') }).toEqual({ name, frame: 'SAMEORIGIN' });
        expect({ name, poweredBy: res.headers.get('x-powered-by') }).toEqual({ name, poweredBy: null });
      }
      // A request that brings no id gets a fresh one on an adapter route too.
      expect((await b.get('/test-app/start?user=nobody')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await withAdapter.close();
    }
  });

  it('shows the login form with a CSRF token, in French when the browser asks', async () => {
    const b = new TestBrowser(h.url);
    const { html, csrf } = await b.form('/login');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password"');
    expect(html).toContain('autocomplete="current-password"');
    const fr = await (await b.get('/login', { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' })).text();
    expect(fr).toContain('<html lang="fr">');
    expect(fr).toContain('Mot de passe');
  });

  it('refuses a login post without or with a wrong CSRF token', async () => {
    const b = new TestBrowser(h.url);
    await b.form('/login');
    const none = await b.post('/login', { username: 'alice', password: 'alice-password-1' });
    expect(none.status).toBe(403);
    expect(await none.text()).toContain('This form has expired');
    const wrong = await b.post('/login', { username: 'alice', password: 'alice-password-1', _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    // A token from another browser does not fit this browser's cookie.
    const other = new TestBrowser(h.url);
    const { csrf } = await other.form('/login');
    expect((await b.post('/login', { username: 'alice', password: 'alice-password-1', _csrf: csrf })).status).toBe(403);
  });

  it('gives one neutral message for a wrong password, an unknown user and a disabled user, and audits each reason', async () => {
    const bodies: string[] = [];
    for (const [username, password] of [
      ['alice', 'wrong'],
      ['nobody', 'whatever'],
      ['carol', 'carol-password-1'],
    ] as const) {
      const b = new TestBrowser(h.url);
      const { csrf } = await b.form('/login');
      const res = await b.post('/login', { username, password, _csrf: csrf });
      expect(res.status).toBe(401);
      bodies.push((await res.text()).replace(/name="_csrf" value="[^"]+"/, '').replace(/value="[a-z]+"/, ''));
    }
    expect(bodies[0]).toContain('The username or password is incorrect.');
    expect(new Set(bodies).size).toBe(1);
    const rows = await h.host.api.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'primary').where('result', '=', 'failure').execute();
    expect(rows.map((r) => [r.username, r.deny_reason])).toEqual(
      expect.arrayContaining([
        ['alice', 'INVALID_CREDENTIALS'],
        ['nobody', 'INVALID_CREDENTIALS'],
        ['carol', 'USER_DISABLED'],
      ]),
    );
    expect(rows.every((r) => r.server_name && r.client_ip)).toBe(true);
  });

  it('signs a user in with the right password and records the success', async () => {
    const b = new TestBrowser(h.url);
    const { csrf } = await b.form('/login');
    const res = await b.post('/login', { username: 'Alice', password: 'alice-password-1', _csrf: csrf });
    expect(res.status).toBe(303);
    const user = await h.host.api.users.findByUsername('alice');
    expect(user).toMatchObject({ username: 'alice', email: 'alice@example.test', givenName: 'Alice', surname: 'Martin' });
    const ok = await h.host.api.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'primary').where('result', '=', 'success').execute();
    expect(ok.some((r) => r.user_id === user!.id && r.email === 'alice@example.test' && r.phone === '+33612345678')).toBe(true);
  });

  it('never writes a posted password, the CSRF token or a SAML message into the log', async () => {
    const b = new TestBrowser(h.url);
    const { csrf } = await b.form('/login');
    const secret = 'Pa55-never-logged-7731';
    await b.post('/login', { username: 'alice', password: secret, _csrf: csrf });
    await b.get('/login?SAMLRequest=PHNhbWxwOkF1dGhuUmVxdWVzdA%3D%3D&RelayState=abc');
    await new Promise((r) => setTimeout(r, 50));
    const all = h.logs.join('\n');
    expect(all).toContain('request completed');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(csrf);
    expect(all).not.toContain('PHNhbWxwOkF1dGhuUmVxdWVzdA');
    expect(all).toContain('SAMLRequest=[redacted]');
  });

  it('answers unknown paths and oversized or malformed posts with a 4xx page, never a stack trace', async () => {
    const b = new TestBrowser(h.url);
    const nf = await b.get('/no/such/page');
    expect(nf.status).toBe(404);
    expect(await nf.text()).toContain('This page does not exist.');
    const big = await b.request('/login', { method: 'POST', body: `username=${'a'.repeat(300_000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(big.status).toBe(413);
    const json = await b.request('/login', { method: 'POST', body: '{', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
    expect(json.status).toBe(403);
    expect(await json.json()).toEqual({ error: 'CSRF_FAILED' });
    for (const text of [await nf.text().catch(() => ''), h.logs.join('\n')]) expect(text).not.toMatch(/at .*\(.*\.ts:\d+:\d+\)/);
  });

  it('reports not ready when the directory cannot be read', async () => {
    const other = await startHost();
    try {
      rmSync(join(other.dir, 'users.yaml'));
      const res = await new TestBrowser(other.url).get('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { store: 'ok', directory: 'DIRECTORY_UNAVAILABLE' } });
    } finally {
      await other.close();
    }
  });
});
