/**
 * CSRF protection for every form: a random per-browser cookie, and a token in the form that is
 * an HMAC of it under a key derived from the secrets key ring (so every host sharing the keys
 * accepts every other host's forms). A cross-site page can neither read the cookie nor compute
 * the token (OWASP "signed double-submit cookie"). After a key rotation a form made under the
 * previous key is still accepted for the grace of `DerivedKeys` (one session lifetime).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CookiePolicy } from './cookies.js';
import { FactorgateError } from '../kit/errors.js';
import type { DerivedKeys } from '../store/derived-keys.js';

const COOKIE = 'fg_csrf';

/** HKDF info of the CSRF key (RFC 5869 §3.2): changing it invalidates every open form. */
export const CSRF_KEY_INFO = 'factorgate csrf v1';

export class Csrf {
  constructor(
    private readonly keys: DerivedKeys,
    private readonly cookies: CookiePolicy,
  ) {}

  #mac(key: Buffer, value: string): string {
    return createHmac('sha256', key).update(value).digest('base64url');
  }

  /** The token for this browser, setting its cookie the first time. */
  token(req: Request, res: Response): string {
    const res_ = res as Response & { locals: { csrfCookie?: string } };
    let value = res_.locals.csrfCookie ?? this.cookies.read(req, COOKIE);
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      this.cookies.set(res, COOKIE, value);
    }
    res_.locals.csrfCookie = value;
    return this.#mac(this.keys.current(), value);
  }

  check(req: Request): void {
    const cookie = this.cookies.read(req, COOKIE);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = typeof body?._csrf === 'string' ? body._csrf : undefined;
    if (!cookie || !sent) throw new FactorgateError('CSRF_FAILED', { detail: cookie ? 'no token in form' : 'no csrf cookie' });
    const actual = Buffer.from(sent);
    // Every accepted key is tried (no early exit), so timing does not tell which one matched.
    let ok = false;
    for (const key of this.keys.accepted()) {
      const expected = Buffer.from(this.#mac(key, cookie));
      ok = (expected.length === actual.length && timingSafeEqual(expected, actual)) || ok;
    }
    if (!ok) throw new FactorgateError('CSRF_FAILED', { detail: 'token mismatch' });
  }
}
