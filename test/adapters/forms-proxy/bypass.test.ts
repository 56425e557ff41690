/**
 * Every spelling of "submit the login form" that the real legacy app (IIS-like) accepts must
 * give the browser no app session without the second factor. Each case first proves, straight
 * against the app, that the spelling really signs in there (so it is a real bypass candidate);
 * through the proxy it must be held for the challenge (303) or refused (4xx).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawBrowser, type RawRequest } from './support/raw-client.js';
import { ALICE, form, hasAppCookie, startRig, URLENCODED, type Rig } from './support/rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

const creds = form(ALICE);
const boundary = '----factorgate7MA4YWxkTrZu0gW';
const multipart = (fields: [string, string][]): string =>
  fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
const MULTIPART = { 'content-type': `multipart/form-data; boundary=${boundary}` };
const JSON_CT = { 'content-type': 'application/json' };

const post = (path: string, extra: Partial<RawRequest> = {}): RawRequest => ({ method: 'POST', path, headers: URLENCODED, body: creds, ...extra });

/** Spellings the app takes as its login; the proxy must hold each one. */
const HELD: [string, RawRequest][] = [
  ['plain', post('/Account/Login')],
  ['upper case (IIS ignores case)', post('/ACCOUNT/LOGIN')],
  ['mixed case', post('/aCcOuNt/lOgIn')],
  ['trailing slash', post('/Account/Login/')],
  ['; path parameter (jsessionid)', post('/Account/Login;jsessionid=0123ABC')],
  ['; parameter on an inner segment', post('/Account;x=1/Login')],
  ['percent-encoded letter', post('/Account/%4Cogin')],
  ['percent-encoded lower-case hex', post('/%61ccount/login')],
  ['dot segment', post('/Account/./Login')],
  ['dot-dot segment', post('/Public/../Account/Login')],
  ['encoded dot-dot segment', post('/Public/%2e%2e/Account/Login')],
  ['doubled slashes', post('//Account//Login')],
  ['backslash (IIS reads it as /)', post('/Account\\Login')],
  ['trailing dot (Windows drops it)', post('/Account/Login.')],
  ['query string', post('/Account/Login?ReturnUrl=%2Fsecret&x=1')],
  ['multipart body', post('/Account/Login', { headers: MULTIPART, body: multipart([['username', ALICE.username], ['password', ALICE.password]]) })],
  ['JSON body', post('/Account/Login', { headers: JSON_CT, body: JSON.stringify(ALICE) })],
  ['JSON body with a charset', post('/Account/Login', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(ALICE) })],
  ['chunked transfer', post('/Account/Login', { chunked: true })],
  ['PUT with X-HTTP-Method-Override: POST', post('/Account/Login', { method: 'PUT', headers: { ...URLENCODED, 'x-http-method-override': 'POST' } })],
  ['PATCH with X-HTTP-Method: POST', post('/Account/Login', { method: 'PATCH', headers: { ...URLENCODED, 'x-http-method': 'post' } })],
  ['PUT with X-Method-Override: POST', post('/Account/Login', { method: 'PUT', headers: { ...URLENCODED, 'x-method-override': 'POST' } })],
  ['PUT with _method=POST in the body', post('/Account/Login', { method: 'PUT', body: `${creds}&_method=POST` })],
  ['PUT with _method=POST in the query', post('/Account/Login?_method=POST', { method: 'PUT' })],
  ['PUT with _method in a multipart body', post('/Account/Login', { method: 'PUT', headers: MULTIPART, body: multipart([['_method', 'POST'], ['username', ALICE.username], ['password', ALICE.password]]) })],
  ['all at once', post('//ACCOUNT/./%4cogin;jsessionid=1/?ReturnUrl=/', { method: 'PUT', chunked: true, headers: { ...MULTIPART, 'x-http-method-override': 'POST' }, body: multipart([['username', ALICE.username], ['password', ALICE.password]]) })],
];

/** Spellings where the app and the proxy could read different things: refused outright. */
const REFUSED: [string, RawRequest, number][] = [
  ['duplicated username field', post('/Account/Login', { body: `username=bob&${creds}` }), 400],
  ['username field differing only in case', post('/Account/Login', { body: `UserName=bob&${creds}` }), 400],
  ['username also in the query string (ASP.NET Request[] reads it first)', post('/Account/Login?username=bob'), 400],
  ['duplicated username in multipart', post('/Account/Login', { headers: MULTIPART, body: multipart([['username', 'bob'], ['username', ALICE.username], ['password', ALICE.password]]) }), 400],
  ['duplicated username in JSON', post('/Account/Login', { headers: JSON_CT, body: `{"username":"bob","username":"alice","password":"${ALICE.password}"}` }), 400],
  ['JSON key spelled with an escape', post('/Account/Login', { headers: JSON_CT, body: `{"user\\u006eame":"bob","username":"alice","password":"${ALICE.password}"}` }), 400],
  ['username as a cookie', post('/Account/Login', { headers: { ...URLENCODED, cookie: 'username=bob' } }), 400],
  ['encoded slash', post('/Account%2FLogin'), 400],
  ['encoded backslash', post('/Account%5cLogin'), 400],
  ['double percent-encoding', post('/Account/%254Cogin'), 400],
  ['overlong UTF-8 for /', post('/Account%c0%afLogin'), 400],
  ['invalid percent-encoding', post('/Account/%zzLogin'), 400],
  ['IIS %u encoding', post('/Account/%u004cogin'), 400],
  ['NUL byte', post('/Account/Login%00.aspx'), 400],
  ['text/plain body on the login path', post('/Account/Login', { headers: { 'content-type': 'text/plain' } }), 415],
  ['gzip-encoded login body', post('/Account/Login', { headers: { ...URLENCODED, 'content-encoding': 'gzip' } }), 415],
  ['UTF-16 charset', post('/Account/Login', { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' } }), 415],
  ['oversized body', post('/Account/Login', { body: `${creds}&pad=${'x'.repeat(70_000)}` }), 413],
];

describe('forms-proxy: no bypass of the login form', () => {
  it.each(HELD)('holds the login spelled: %s', async (_name, request) => {
    const direct = await new RawBrowser().send(rig.legacy.url, request);
    expect(hasAppCookie(direct), 'the app itself accepts this spelling').toBe(true);

    const reply = await new RawBrowser().send(rig.app, request);
    expect(hasAppCookie(reply)).toBe(false);
    expect(reply.status).toBe(303);
    expect(String(reply.headers.location)).toContain('/forms-proxy/start/');
  });

  it.each(REFUSED)('refuses: %s', async (_name, request, status) => {
    const reply = await new RawBrowser().send(rig.app, request);
    expect(hasAppCookie(reply)).toBe(false);
    expect(reply.status).toBe(status);
    expect(reply.body).not.toMatch(/\bat .*\(|node:internal/);
  });

  it('lets the login form itself (GET) through', async () => {
    const page = await new RawBrowser().send(rig.app, { path: '/ACCOUNT/login/?ReturnUrl=%2F' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
  });

  it('logs each refusal with its reason', () => {
    const refused = rig.logs.filter((l) => l.includes('"request refused"'));
    expect(refused.length).toBeGreaterThanOrEqual(REFUSED.length);
    expect(refused.some((l) => l.includes('encoded path separator'))).toBe(true);
    expect(refused.some((l) => l.includes('field username appears 2 times'))).toBe(true);
  });
});
