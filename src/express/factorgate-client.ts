/**
 * The two messages of the embed protocol, seen from the app: the signed request that sends a
 * user to factorgate (HS256 under the client secret, `typ` fg-request+jwt, two minutes), and the
 * check of the result that comes back (ES256 against factorgate's JWKS, `typ` fg-result+jwt):
 * signature, issuer, audience, expiry, the nonce this session sent for this user, single use.
 * It talks to factorgate only over HTTP (the JWKS); nothing of the server is imported.
 */
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';
import { resolveOptions, type FactorgateOptions, type ResolvedOptions } from './options.js';
import type { PendingRequest, VerifiedFactor } from './session-state.js';

export const REQUEST_TYPE = 'fg-request+jwt';
export const RESULT_TYPE = 'fg-result+jwt';
/** The query parameter factorgate adds to the return URL. */
export const RESULT_PARAM = 'fg_result';
/** A request lives this long; factorgate refuses longer-lived ones. */
const REQUEST_LIFETIME_S = 120;
/** factorgate issues results for at most two minutes. */
const MAX_RESULT_AGE_S = 120;
const CLOCK_TOLERANCE_S = 5;

/** Why a result was refused: a stable code for the app's log. */
export type ResultRefusal = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'WRONG_ISSUER' | 'WRONG_AUDIENCE' | 'INVALID' | 'NONCE_UNKNOWN' | 'WRONG_USER' | 'REPLAYED' | 'NO_FACTOR' | 'JWKS_UNAVAILABLE';

export class ResultRefused extends Error {
  constructor(
    readonly code: ResultRefusal,
    detail: string,
  ) {
    super(`factorgate result refused (${code}): ${detail}`);
    this.name = 'ResultRefused';
  }
}

export class FactorgateClient {
  readonly options: ResolvedOptions;
  private readonly jwks: JWTVerifyGetKey;
  private readonly replay: ReplayStore;

  constructor(options: FactorgateOptions) {
    this.options = resolveOptions(options);
    this.jwks = createRemoteJWKSet(this.options.jwksUrl, { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    this.replay = options.replayStore ?? new MemoryReplayStore(this.options.now);
  }

  /** A new request for `user`, to be answered at `returnTo`: the URL to send the browser to, and what the session must remember. */
  async startRequest(user: string, returnTo: string): Promise<{ url: string; pending: PendingRequest }> {
    const nonce = randomBytes(24).toString('base64url');
    const iat = Math.floor(this.options.now() / 1000);
    const token = await new SignJWT({ nonce, return_to: returnTo })
      .setProtectedHeader({ alg: 'HS256', typ: REQUEST_TYPE })
      .setIssuer(this.options.client)
      .setAudience(this.options.issuer)
      .setSubject(user)
      .setIssuedAt(iat)
      .setExpirationTime(iat + REQUEST_LIFETIME_S)
      .sign(this.options.key);
    const url = new URL(this.options.startUrl);
    url.searchParams.set('token', token);
    // The session waits for the answer as long as a challenge may take (factorgate's default 5 minutes, and some).
    return { url: url.href, pending: { nonce, user, returnTo, until: (iat + 900) * 1000 } };
  }

  /**
   * Checks a result for the signed-in `user`. `takePending(nonce)` removes and answers the
   * request this session sent with that nonce (null when it sent none): it is called only after
   * the signature holds, so a forged result cannot spend a real request.
   */
  async verifyResult(token: string, user: string, takePending: (nonce: string) => PendingRequest | null): Promise<VerifiedFactor> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) throw new ResultRefused('MALFORMED', 'no token or an oversized one');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['ES256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: RESULT_TYPE,
        currentDate: new Date(this.options.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: MAX_RESULT_AGE_S,
        requiredClaims: ['sub', 'nonce', 'jti', 'iat', 'exp', 'methods', 'at'],
      }));
    } catch (err) {
      throw refusalOf(err);
    }
    const { sub, nonce, jti, exp, methods, at, mfa } = payload;
    if (typeof sub !== 'string' || typeof nonce !== 'string' || typeof jti !== 'string' || typeof at !== 'number' || !Array.isArray(methods) || !methods.every((m) => typeof m === 'string')) {
      throw new ResultRefused('INVALID', 'claims of the wrong type');
    }
    const pending = takePending(nonce);
    if (!pending) throw new ResultRefused('NONCE_UNKNOWN', 'this session sent no live request with that nonce');
    if (sub !== pending.user || sub !== user) throw new ResultRefused('WRONG_USER', `result for ${JSON.stringify(sub)}, request for ${JSON.stringify(pending.user)}, signed in as ${JSON.stringify(user)}`);
    if (!(await this.replay.markUsed(jti, ((exp as number) + CLOCK_TOLERANCE_S) * 1000))) throw new ResultRefused('REPLAYED', `result ${jti} was already used`);
    const multiFactor = mfa === true;
    if (!multiFactor && !this.options.allowWithoutFactor) throw new ResultRefused('NO_FACTOR', 'factorgate let the user pass without a second factor');
    return { user: sub, methods: methods as string[], at: at * 1000, multiFactor };
  }
}

function refusalOf(err: unknown): ResultRefused {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof joseErrors.JWTExpired) return new ResultRefused('EXPIRED', message);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new ResultRefused('WRONG_AUDIENCE', message);
    if (err.claim === 'iss') return new ResultRefused('WRONG_ISSUER', message);
    if (err.claim === 'iat') return new ResultRefused('EXPIRED', message);
    return new ResultRefused('INVALID', message);
  }
  if (err instanceof joseErrors.JWKSTimeout || (err instanceof joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC')) return new ResultRefused('JWKS_UNAVAILABLE', message);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JWKSNoMatchingKey) return new ResultRefused('BAD_SIGNATURE', message);
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return new ResultRefused('MALFORMED', message);
  return new ResultRefused('INVALID', message);
}
