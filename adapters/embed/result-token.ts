/**
 * The result an app receives: a compact JWS (ES256, `typ` fg-result+jwt, `kid` of a key in the
 * JWKS) with `iss` factorgate's embed issuer, `aud` the client's audience, `sub` the user name
 * the app sent, the app's `nonce`, `methods` (factor kinds used), `at` (when the factor was
 * verified, NumericDate), `mfa` (a factor was really verified), `jti`, `iat` and `exp` (at most
 * two minutes later). Short-lived, audience-bound and nonce-bound: the app verifies all of it.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export const RESULT_TYPE = 'fg-result+jwt';

export interface ResultFacts {
  audience: string;
  sub: string;
  nonce: string;
  methods: readonly string[];
  multiFactor: boolean;
  /** When the factor was verified (ms since the epoch). */
  authnInstant: number;
}

export async function signResult(keys: SigningKeys, issuer: string, nowMs: number, lifetimeMs: number, facts: ResultFacts): Promise<string> {
  const key = await keys.signing();
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ nonce: facts.nonce, methods: [...facts.methods], at: Math.floor(facts.authnInstant / 1000), mfa: facts.multiFactor })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: RESULT_TYPE })
    .setIssuer(issuer)
    .setAudience(facts.audience)
    .setSubject(facts.sub)
    .setJti(randomBytes(16).toString('base64url'))
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.floor(lifetimeMs / 1000))
    .sign(key.key);
}
