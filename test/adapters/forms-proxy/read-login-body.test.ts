import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { extractCredentials, parseLoginFields, readBody } from '../../../adapters/forms-proxy/read-login-body.js';
import { isFactorgateError } from '../../../src/kit/errors.js';

const names = { username: 'username', password: 'password' };
const parse = (body: string, ct: string, query = '', cookie?: string) =>
  extractCredentials(parseLoginFields(Buffer.from(body), { 'content-type': ct }), names, query, cookie);
const statusOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return isFactorgateError(err) ? err.status : -1;
  }
  return undefined;
};

describe('login body', () => {
  it('reads urlencoded, JSON and multipart alike', () => {
    expect(parse('username=alice&password=p%26w', 'application/x-www-form-urlencoded')).toEqual({ username: 'alice', password: 'p&w', methods: [] });
    expect(parse('{"username":"alice","password":"pw","_method":"post"}', 'application/json')).toEqual({ username: 'alice', password: 'pw', methods: ['POST'] });
    const mp = '--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--b\r\nContent-Disposition: form-data; name*=utf-8\'\'password\r\n\r\npw\r\n--b--\r\n';
    expect(parse(mp, 'multipart/form-data; boundary=b')).toEqual({ username: 'alice', password: 'pw', methods: [] });
  });

  it.each([
    ['a repeated field', 'username=a&username=b', 'application/x-www-form-urlencoded'],
    ['PHP array spelling', 'username[]=a&username=b', 'application/x-www-form-urlencoded'],
    ['PHP dot spelling of an underscore name', '{"user.name":"a","user_name":"b"}', 'application/json'],
    ['JSON object instead of a string', '{"username":{"$ne":""}}', 'application/json'],
    ['malformed JSON', '{"username":', 'application/json'],
    ['multipart without its closing boundary', '--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice', 'multipart/form-data; boundary=b'],
    ['multipart part with base64 transfer encoding', '--b\r\nContent-Disposition: form-data; name="username"\r\nContent-Transfer-Encoding: base64\r\n\r\nYWxpY2U=\r\n--b--', 'multipart/form-data; boundary=b'],
    ['multipart part with two names', '--b\r\nContent-Disposition: form-data; name="x"; name="username"\r\n\r\na\r\n--b--', 'multipart/form-data; boundary=b'],
  ])('refuses %s', (_n, body, ct) => {
    const s = statusOf(() => {
      const bag = parseLoginFields(Buffer.from(body), { 'content-type': ct });
      extractCredentials(bag, _n.includes('underscore') ? { username: 'user_name', password: 'password' } : names, '', undefined);
    });
    expect(s).toBe(400);
  });

  it('refuses the username also in the query string or a cookie', () => {
    expect(statusOf(() => parse('username=a&password=b', 'application/x-www-form-urlencoded', 'USERNAME=b'))).toBe(400);
    expect(statusOf(() => parse('username=a&password=b', 'application/x-www-form-urlencoded', '', 'Password=x'))).toBe(400);
  });

  it('refuses unknown types, charsets and encodings with 415', () => {
    expect(statusOf(() => parseLoginFields(Buffer.from('a'), { 'content-type': 'text/xml' }))).toBe(415);
    expect(statusOf(() => parseLoginFields(Buffer.from('a'), {}))).toBe(415);
    expect(statusOf(() => parseLoginFields(Buffer.from('a'), { 'content-type': 'application/x-www-form-urlencoded; charset=iso-2022-jp' }))).toBe(415);
    expect(statusOf(() => parseLoginFields(Buffer.from('a'), { 'content-type': 'application/json', 'content-encoding': 'br' }))).toBe(415);
  });

  it('caps the body size', async () => {
    await expect(readBody(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1024)).rejects.toMatchObject({ status: 413 });
    await expect(readBody(Readable.from([]), 1024, '5000')).rejects.toMatchObject({ status: 413 });
    expect((await readBody(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 1024)).toString()).toBe('abc');
  });
});
