/**
 * The demo legacy app (the `npm start` forms-proxy demo's upstream) answers bad bodies with a
 * plain error page: Express's default handler showed the stack and the install path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyApp, type LegacyApp } from '../../fixtures/legacy-app/index.js';

let app: LegacyApp;
beforeAll(async () => {
  app = await startLegacyApp();
});
afterAll(async () => {
  await app.close();
});

function expectCleanPage(body: string): void {
  expect(body).not.toMatch(/SyntaxError|PayloadTooLargeError|at .*\.(ts|js):\d+|node_modules/);
  expect(body).not.toContain(process.cwd());
}

describe('the demo legacy app on bad input', () => {
  it('answers malformed JSON with a clean 400 page', async () => {
    const res = await fetch(`${app.url}/Account/Login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": ' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('Bad request');
    expectCleanPage(body);
  });

  it('answers a form over its size limit with a clean 413 page', async () => {
    const res = await fetch(`${app.url}/Account/Login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=alice&password=${'x'.repeat(1_100_000)}`,
    });
    expect(res.status).toBe(413);
    expectCleanPage(await res.text());
  });

  it('still signs a user in with a good form', async () => {
    const res = await fetch(`${app.url}/Account/Login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=legacy-demo',
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toContain('.ASPXAUTH=');
  });
});
