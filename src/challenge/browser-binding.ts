/**
 * Binds a challenge to the browser that began it. A random 256-bit value lives in an HttpOnly,
 * SameSite=Lax cookie (`__Host-` prefixed and Secure outside the plain-HTTP demo); the store
 * keeps only its SHA-256, so neither a leaked challenge id nor a copy of the database lets
 * another browser continue the sign-in.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CookiePolicy } from '../http/cookies.js';

export const BINDING_COOKIE = 'fg_mfa';
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * The binding hash for a new challenge. A browser that already holds a binding keeps it, so
 * two tabs signing in to two applications do not break each other's challenge.
 */
export function bindBrowser(cookies: CookiePolicy, req: Request, res: Response): string {
  let value = cookies.read(req, BINDING_COOKIE);
  if (!value || !WELL_FORMED.test(value)) {
    value = randomBytes(32).toString('base64url');
    cookies.set(res, BINDING_COOKIE, value);
  }
  return hashBinding(value);
}

/** Whether this request comes from the browser whose binding hash is `expected`. */
export function isSameBrowser(cookies: CookiePolicy, req: Request, expected: string): boolean {
  const value = cookies.read(req, BINDING_COOKIE);
  if (!value || !WELL_FORMED.test(value)) return false;
  const a = Buffer.from(hashBinding(value));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
