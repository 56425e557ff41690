/**
 * The checks of an app's signed request at `GET /embed/start?token=…`, in order. Each opens
 * with the rule it holds; the first that fails ends the request with a refusal (an error page,
 * a log line, an audit record), never a redirect. The request is a compact JWS (RFC 7515),
 * HS256 under the client's secret, `typ` fg-request+jwt; claims: `iss` the client id, `aud`
 * factorgate's embed issuer, `sub` the app's user name, `nonce`, `return_to`, `iat`, `exp`.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { HostServices, UserRecord } from '../../src/sdk/adapter.js';
import type { EmbedClient, EmbedClients } from './clients.js';
import { EmbedRefusal } from './refusal.js';

export const REQUEST_TYPE = 'fg-request+jwt';
const MAX_TOKEN = 8192;
const CLOCK_TOLERANCE_S = 30;

export interface StartDeps {
  host: Pick<HostServices, 'directory' | 'users' | 'replay' | 'clock' | 'server'>;
  clients: EmbedClients;
  /** `<publicUrl>/embed`: the `aud` of requests, the `iss` of results. */
  issuer: string;
  requestMaxAgeMs: number;
}

/** What the checks learn, step by step. */
export interface StartContext {
  query: unknown;
  token?: string;
  client?: EmbedClient;
  claims?: { sub: string; nonce: string; returnTo: string; exp: number };
  returnTo?: URL;
  user?: UserRecord;
  outsideMfaGroup?: boolean;
}

type Step = (deps: StartDeps, ctx: StartContext) => Promise<void> | void;

/** The request arrives as one `token` parameter of bounded size. */
const readToken: Step = (_deps, ctx) => {
  const token = (ctx.query as Record<string, unknown> | null)?.token;
  if (typeof token !== 'string' || token === '') throw new EmbedRefusal('NO_REQUEST', 'no token parameter');
  if (token.length > MAX_TOKEN) throw new EmbedRefusal('MALFORMED_REQUEST', `token of ${token.length} characters`);
  ctx.token = token;
};

/** The issuer names a configured client (read before verifying only to pick its key). */
const findClient: Step = (deps, ctx) => {
  let iss: unknown;
  try {
    decodeProtectedHeader(ctx.token!);
    iss = decodeJwt(ctx.token!).iss;
  } catch {
    throw new EmbedRefusal('MALFORMED_REQUEST', 'not a compact JWS');
  }
  const client = deps.clients.find(iss);
  if (!client) throw new EmbedRefusal('UNKNOWN_CLIENT', `unknown client ${typeof iss === 'string' ? JSON.stringify(iss.slice(0, 64)) : typeof iss}`);
  ctx.client = client;
};

/** HS256 under the client's secret, our audience, its issuer, the request type, live and not too long-lived. */
const verifySignature: Step = async (deps, ctx) => {
  const client = ctx.client!;
  const now = deps.host.clock.now();
  try {
    const { payload } = await jwtVerify(ctx.token!, client.key, {
      algorithms: ['HS256'],
      issuer: client.id,
      audience: deps.issuer,
      typ: REQUEST_TYPE,
      currentDate: new Date(now),
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: Math.floor(deps.requestMaxAgeMs / 1000),
      requiredClaims: ['sub', 'nonce', 'return_to', 'iat', 'exp'],
    });
    const { sub, nonce, return_to: returnTo, iat, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) throw new EmbedRefusal('REQUEST_INVALID', 'sub is not a user name');
    if (typeof nonce !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(nonce)) throw new EmbedRefusal('REQUEST_INVALID', 'nonce is not 16-128 base64url characters');
    if (typeof returnTo !== 'string') throw new EmbedRefusal('REQUEST_INVALID', 'return_to is not a string');
    if ((exp as number) - (iat as number) > deps.requestMaxAgeMs / 1000) throw new EmbedRefusal('REQUEST_INVALID', `lives ${(exp as number) - (iat as number)} s, more than requestMaxAge`);
    ctx.claims = { sub, nonce, returnTo, exp: exp as number };
  } catch (err) {
    if (err instanceof EmbedRefusal) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new EmbedRefusal('REQUEST_EXPIRED', `${err.claim} check failed: ${err.message}`);
    if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JWSInvalid) {
      throw new EmbedRefusal('BAD_SIGNATURE', err.message);
    }
    throw new EmbedRefusal('REQUEST_INVALID', err instanceof Error ? err.message : String(err));
  }
};

/** The return URL is on the client's allowlist: exact origin, path at or below an allowed one. */
const checkReturnUrl: Step = (deps, ctx) => {
  const url = deps.clients.returnTarget(ctx.client!, ctx.claims!.returnTo);
  if (!url) throw new EmbedRefusal('RETURN_URL_REFUSED', `return_to not allowed for ${ctx.client!.id}: ${ctx.claims!.returnTo.slice(0, 200)}`);
  ctx.returnTo = url;
};

/** A request is used once: its nonce is recorded (shared by every host on the store) until it expires. */
const markUsed: Step = async (deps, ctx) => {
  const until = (ctx.claims!.exp + CLOCK_TOLERANCE_S) * 1000;
  if (!(await deps.host.replay.markUsed('embed-request', `${ctx.client!.id}:${ctx.claims!.nonce}`, until))) {
    throw new EmbedRefusal('REQUEST_REPLAYED', `nonce already used by ${ctx.client!.id}`);
  }
};

/**
 * The user exists in the directory and is enabled there and here. As at `/login`, a user the
 * directory's MFA group leaves out is stored disabled under `outsideGroup: deny` and the
 * challenge says why; under `allow` the challenge lets them pass.
 */
const checkUser: Step = async (deps, ctx) => {
  const found = await deps.host.directory.find(ctx.claims!.sub);
  if (!found) throw new EmbedRefusal('UNKNOWN_USER', `no user ${JSON.stringify(ctx.claims!.sub.slice(0, 64))} in the directory`);
  if (found.disabled) throw new EmbedRefusal('USER_DISABLED', `user ${found.username} is disabled in the directory`);
  const outside = found.outsideMfaGroup === true;
  const outsideDenied = outside && deps.host.server.outsideGroup !== 'allow';
  const user = await deps.host.users.upsertFromDirectory(outsideDenied ? { ...found, disabled: true } : found, deps.host.directory.kind);
  if (user.disabled && !outsideDenied) throw new EmbedRefusal('USER_DISABLED', `user ${user.username} is disabled in factorgate`);
  ctx.user = user;
  ctx.outsideMfaGroup = outside;
};

export const START_STEPS: ReadonlyArray<readonly [string, Step]> = [
  ['read-token', readToken],
  ['find-client', findClient],
  ['verify-signature', verifySignature],
  ['check-return-url', checkReturnUrl],
  ['mark-used', markUsed],
  ['check-user', checkUser],
];

export async function runStartSteps(deps: StartDeps, ctx: StartContext): Promise<void> {
  for (const [, step] of START_STEPS) await step(deps, ctx);
}
