import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { Csrf, CSRF_KEY_INFO } from '../../src/http/csrf.js';
import { DerivedKeys } from '../../src/store/derived-keys.js';
import { CookiePolicy } from '../../src/http/cookies.js';
import { ManualClock } from '../../src/kit/clock.js';
import { FactorgateError } from '../../src/kit/errors.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const cookies = new CookiePolicy('http://localhost:8080');
const HOUR = 3600_000;
const COOKIE = randomBytes(32).toString('base64url');

function formToken(csrf: Csrf): string {
  const req = { headers: { cookie: `fg_csrf=${COOKIE}` } } as unknown as Request;
  const res = { locals: {}, cookie: () => undefined } as unknown as Response;
  return csrf.token(req, res);
}

function post(csrf: Csrf, token: string): 'accepted' | string {
  const req = { headers: { cookie: `fg_csrf=${COOKIE}` }, body: { _csrf: token } } as unknown as Request;
  try {
    csrf.check(req);
    return 'accepted';
  } catch (err) {
    return err instanceof FactorgateError ? `${err.code}: ${err.detail ?? ''}` : String(err);
  }
}

describe('CSRF tokens across a key rotation', () => {
  it('accepts a form made under the previous key for the grace after the new key became active, then refuses it', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 12));
    const before = new Csrf(new DerivedKeys([k1], CSRF_KEY_INFO, { clock, graceMs: 8 * HOUR, since: clock.now() }), cookies);
    const oldForm = formToken(before);

    clock.advance(60_000);
    const rotated = new DerivedKeys([k1, { ...k2, activeFrom: clock.now() }], CSRF_KEY_INFO, { clock, graceMs: 8 * HOUR, since: clock.now() });
    const after = new Csrf(rotated, cookies);
    const newForm = formToken(after);
    expect(newForm).not.toBe(oldForm);
    expect(post(after, oldForm)).toBe('accepted');
    expect(post(after, newForm)).toBe('accepted');

    clock.advance(8 * HOUR - 1);
    expect(post(after, oldForm)).toBe('accepted');
    clock.advance(1);
    expect(post(after, oldForm)).toBe('CSRF_FAILED: token mismatch');
    expect(post(after, newForm)).toBe('accepted');
  });

  it('keeps making tokens with the current key until an announced key becomes active', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 12));
    const announced = new DerivedKeys([k1, { ...k2, activeFrom: clock.now() + HOUR }], CSRF_KEY_INFO, { clock, graceMs: HOUR, since: clock.now() });
    const onlyK1 = new Csrf(new DerivedKeys([k1], CSRF_KEY_INFO, { clock, graceMs: HOUR, since: clock.now() }), cookies);
    const csrf = new Csrf(announced, cookies);
    // A host that does not have k2 yet accepts the forms of a host that has it, before it is active.
    expect(post(onlyK1, formToken(csrf))).toBe('accepted');
    clock.advance(HOUR);
    expect(post(onlyK1, formToken(csrf))).toBe('CSRF_FAILED: token mismatch');
  });

  it('never accepts a key older than the previous one, nor a token from another ring', () => {
    const clock = new ManualClock();
    const k0 = { id: 'k0', key: randomBytes(32) };
    const oldest = formToken(new Csrf(new DerivedKeys([k0], CSRF_KEY_INFO, { clock, graceMs: HOUR, since: clock.now() }), cookies));
    const ring = new Csrf(new DerivedKeys([k0, k1, k2], CSRF_KEY_INFO, { clock, graceMs: HOUR, since: clock.now() }), cookies);
    expect(post(ring, oldest)).toBe('CSRF_FAILED: token mismatch');
    const stranger = formToken(new Csrf(new DerivedKeys([{ id: 'x', key: randomBytes(32) }], CSRF_KEY_INFO, { clock, graceMs: HOUR, since: clock.now() }), cookies));
    expect(post(ring, stranger)).toBe('CSRF_FAILED: token mismatch');
  });
});
