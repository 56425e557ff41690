/**
 * CSRF protection for every form: a random per-browser cookie, and a token in the form that is
 * an HMAC of it under a key derived from the secrets key ring (so every host sharing the keys
 * accepts every other host's forms). A cross-site page can neither read the cookie nor compute
 * the token (OWASP "signed double-submit cookie").
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CookiePolicy } from './http/cookies.js';
import { FactorgateError } from './errors.js';

const COOKIE = 'fg_csrf';

export class Csrf {
  readonly #key: Buffer;
  constructor(
    masterKey: Buffer,
    private readonly cookies: CookiePolicy,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'factorgate csrf v1', 32));
  }

  #mac(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
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
    return this.#mac(value);
  }

  check(req: Request): void {
    const cookie = this.cookies.read(req, COOKIE);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = typeof body?._csrf === 'string' ? body._csrf : undefined;
    if (!cookie || !sent) throw new FactorgateError('CSRF_FAILED', { detail: cookie ? 'no token in form' : 'no csrf cookie' });
    const expected = Buffer.from(this.#mac(cookie));
    const actual = Buffer.from(sent);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new FactorgateError('CSRF_FAILED', { detail: 'token mismatch' });
    }
  }
}
