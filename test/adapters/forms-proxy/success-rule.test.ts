import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { successRuleHolds } from '../../../adapters/forms-proxy/hold-upstream-reply.js';

const now = Date.UTC(2026, 0, 1);
const head = (status: number, headers: Record<string, string | string[]> = {}) => ({ status, headers });
const body = (s: string) => Buffer.from(s);

describe('success rule', () => {
  it('needs every configured rule', () => {
    const rule = { status: [302], locationPattern: '^/home' };
    expect(successRuleHolds(rule, head(302, { location: '/home' }), body(''), now)).toBe(true);
    expect(successRuleHolds(rule, head(302, { location: '/login?failed' }), body(''), now)).toBe(false);
    expect(successRuleHolds(rule, head(200, { location: '/home' }), body(''), now)).toBe(false);
  });

  it('always holds a reply that sets the session cookie, whatever else it says', () => {
    const rule = { status: [302], setCookie: '.ASPXAUTH', bodyMustNotContain: 'Invalid' };
    expect(successRuleHolds(rule, head(200, { 'set-cookie': ['.ASPXAUTH=abc; path=/'] }), body('Invalid'), now)).toBe(true);
  });

  it('does not count a cookie deletion as signing in', () => {
    const rule = { setCookie: '.ASPXAUTH' };
    expect(successRuleHolds(rule, head(302, { 'set-cookie': ['.ASPXAUTH=; expires=Thu, 01 Jan 1970 00:00:00 GMT'] }), body(''), now)).toBe(false);
    expect(successRuleHolds(rule, head(302, { 'set-cookie': ['.ASPXAUTH=x; Max-Age=0'] }), body(''), now)).toBe(false);
    expect(successRuleHolds(rule, head(302, { 'set-cookie': ['OTHER=x'] }), body(''), now)).toBe(false);
  });

  it('reads the failure text through gzip, and holds when the body cannot be decoded', () => {
    const rule = { status: [200], bodyMustNotContain: 'Invalid credentials' };
    expect(successRuleHolds(rule, head(200, { 'content-encoding': 'gzip' }), gzipSync('<p>Invalid credentials</p>'), now)).toBe(false);
    expect(successRuleHolds(rule, head(200, { 'content-encoding': 'gzip' }), gzipSync('<p>Welcome</p>'), now)).toBe(true);
    expect(successRuleHolds(rule, head(200, { 'content-encoding': 'gzip' }), body('not gzip: Invalid credentials'), now)).toBe(true);
    expect(successRuleHolds(rule, head(200, { 'content-encoding': 'zstd' }), body('Invalid credentials'), now)).toBe(true);
  });
});
