import { describe, expect, it } from 'vitest';
import { compileAppPaths, isLoginRequest, normalizeTarget } from '../../../adapters/forms-proxy/normalize-request.js';
import { isFactorgateError } from '../../../src/kit/errors.js';

const ci = { caseInsensitive: true };
const cs = { caseInsensitive: false };

describe('normalizeTarget', () => {
  it.each([
    ['/Account/Login', '/account/login'],
    ['/Account/Login/', '/account/login'],
    ['//Account///Login', '/account/login'],
    ['/Account/./Login', '/account/login'],
    ['/a/b/../../Account/Login', '/account/login'],
    ['/../../Account/Login', '/account/login'],
    ['/Account/Login/.', '/account/login'],
    ['/Account/x/..', '/account'],
    ['/Account/Login;jsessionid=1', '/account/login'],
    ['/Account;v=2/Login;x', '/account/login'],
    ['/Account/%4C%6fgin', '/account/login'],
    ['/Account/%2e%2e/Account/Login', '/account/login'],
    ['/Account\\Login', '/account/login'],
    ['/Account/Login.', '/account/login'],
    ['/Account/Login%20%20', '/account/login'],
    ['/Account/Log%C4%B1n', '/account/login'],
    ['/Account/%EF%BC%AC%EF%BD%8F%EF%BD%87%EF%BD%89%EF%BD%8E', '/account/login'],
    ['/', '/'],
    ['/?x=1', '/'],
  ])('reads %s as %s (case-insensitive app)', (raw, want) => {
    expect(normalizeTarget(raw, ci).path).toBe(want);
  });

  it('keeps case for a case-sensitive app and splits the query', () => {
    expect(normalizeTarget('/Account/Login/?a=1&b=%2F', cs)).toEqual({ path: '/Account/Login', query: 'a=1&b=%2F' });
  });

  it.each([
    ['encoded slash', '/Account%2fLogin'],
    ['encoded backslash', '/Account%5CLogin'],
    ['double encoding', '/Account/%252e%252e/Login'],
    ['overlong UTF-8', '/%c0%ae%c0%ae/Login'],
    ['lone continuation byte', '/%80Login'],
    ['truncated escape', '/Login%4'],
    ['IIS %u escape', '/%u002e'],
    ['NUL', '/Login%00'],
    ['control character', '/Login%0d%0a'],
    ['raw space', '/Account/Log in'],
    ['raw non-ASCII', '/Account/Logın'],
    ['absolute-form', 'http://evil/Account/Login'],
    ['fragment', '/Account/Login#x'],
    ['asterisk-form', '*'],
  ])('refuses %s with a 400', (_name, raw) => {
    try {
      normalizeTarget(raw, ci);
      expect.unreachable();
    } catch (err) {
      expect(isFactorgateError(err) && err.status).toBe(400);
    }
  });
});

describe('isLoginRequest', () => {
  const paths = compileAppPaths({ caseInsensitivePaths: true, loginPaths: ['/Account/Login'], loginMethods: ['POST'], publicPaths: [], protect: 'all' });
  const check = (method: string, url: string, headers: Record<string, string> = {}) => isLoginRequest(paths, { method, url, headers }, normalizeTarget(url, ci));

  it('recognises the login POST and its method overrides', () => {
    expect(check('POST', '/account/login/')).toBe('login');
    expect(check('PUT', '/Account/Login', { 'x-http-method-override': 'post' })).toBe('login');
    expect(check('GET', '/Account/Login', { 'x-method-override': 'GET, POST' })).toBe('login');
    expect(check('PUT', '/Account/Login?_method=POST')).toBe('login');
  });

  it('defers a body-carrying non-POST to its body (a _method field may be inside)', () => {
    expect(check('PUT', '/Account/Login', { 'content-length': '10' })).toBe('maybe');
    expect(check('GET', '/Account/Login', { 'transfer-encoding': 'chunked' })).toBe('maybe');
  });

  it('leaves the login page GET and other paths alone', () => {
    expect(check('GET', '/Account/Login')).toBe('no');
    expect(check('POST', '/Account/Other')).toBe('no');
  });
});

describe('path patterns', () => {
  const paths = compileAppPaths({ caseInsensitivePaths: true, loginPaths: ['/login'], loginMethods: ['POST'], publicPaths: ['/static/**', '/img/*', '/robots.txt'], protect: 'all' });
  it.each([
    ['/static', true],
    ['/STATIC/css/a.css', true],
    ['/img/a.png', true],
    ['/img/x/a.png', false],
    ['/img', false],
    ['/robots.txt', true],
    ['/staticx', false],
  ])('public %s → %s', (p, want) => {
    expect(paths.publicPaths.matches(normalizeTarget(p, { caseInsensitive: true }).path)).toBe(want);
  });
});
