/**
 * The embed sign-in: `GET /embed/start?token=…` checks the app's signed request (start-steps.ts)
 * and begins the challenge for the named user exactly as the other adapters do; when it ends,
 * `resume` sends the browser back to the request's return URL with the signed result in
 * `fg_result`, through a page that refreshes there (continue-page.ts) (a denied challenge gets the host's denied page, and the app nothing). One audit
 * record per request: `embed.request` when refused, `embed.result` when a result is issued.
 */
import type { Request, Response } from 'express';
import { isFactorgateError, type ChallengeOutcome, type HostServices } from '../../src/sdk/adapter.js';
import { sendContinuePage } from './continue-page.js';
import { ADAPTER_NAME } from './names.js';
import { EmbedRefusal } from './refusal.js';
import { signResult } from './result-token.js';
import type { SigningKeys } from './signing-keys.js';
import { runStartSteps, type StartContext, type StartDeps } from './start-steps.js';

/** The query parameter of the result on the app's return URL. */
export const RESULT_PARAM = 'fg_result';

interface Continuation {
  v: 1;
  client: string;
  sub: string;
  nonce: string;
  returnTo: string;
}

function isContinuation(v: unknown): v is Continuation {
  const c = v as Partial<Continuation> | null;
  return c !== null && typeof c === 'object' && c.v === 1 && typeof c.client === 'string' && typeof c.sub === 'string' && typeof c.nonce === 'string' && typeof c.returnTo === 'string';
}

export interface FlowDeps extends StartDeps {
  host: HostServices;
  keys: SigningKeys;
  resultLifetimeMs: number;
}

async function refuse(deps: FlowDeps, req: Request, res: Response, ctx: StartContext, refusal: EmbedRefusal): Promise<void> {
  deps.host.logger.warn({ reason: refusal.reason, detail: refusal.detail, client: ctx.client?.id, clientIp: req.ip }, 'embed request refused');
  await deps.host.audit.record({
    event: 'embed.request',
    result: 'denied',
    user: ctx.user,
    username: ctx.claims?.sub,
    denyReason: refusal.reason,
    adapter: ADAPTER_NAME,
    relyingParty: ctx.client?.id,
    clientIp: req.ip,
  });
  deps.host.pages.error(req, res, refusal.status, refusal.messageKey);
}

export async function start(deps: FlowDeps, req: Request, res: Response): Promise<void> {
  res.setHeader('cache-control', 'no-store');
  const ctx: StartContext = { query: req.query };
  try {
    await runStartSteps(deps, ctx);
  } catch (err) {
    if (err instanceof EmbedRefusal) return refuse(deps, req, res, ctx, err);
    deps.host.logger.error({ error: isFactorgateError(err) ? err.code : 'INTERNAL', detail: isFactorgateError(err) ? err.detail : String(err) }, 'embed request failed');
    deps.host.pages.error(req, res, isFactorgateError(err) ? err.status : 500, isFactorgateError(err) ? `error.${err.code}` : 'error.INTERNAL');
    return;
  }
  const continuation: Continuation = { v: 1, client: ctx.client!.id, sub: ctx.claims!.sub, nonce: ctx.claims!.nonce, returnTo: ctx.returnTo!.href };
  const began = await deps.host.challenges.begin({ user: ctx.user!, adapter: ADAPTER_NAME, continuation, relyingParty: ctx.client!.id, outsideMfaGroup: ctx.outsideMfaGroup, req, res });
  res.redirect(303, `${deps.host.publicUrl}${began.redirectTo}`);
}

export async function resume(deps: FlowDeps, outcome: ChallengeOutcome, req: Request, res: Response): Promise<void> {
  res.setHeader('cache-control', 'no-store');
  if (outcome.result === 'denied') {
    deps.host.logger.info({ adapter: ADAPTER_NAME, reason: outcome.reason, client: outcome.relyingParty }, 'embed challenge denied');
    deps.host.pages.denied(req, res, outcome);
    return;
  }
  const c = outcome.continuation;
  const client = isContinuation(c) ? deps.clients.find(c.client) : null;
  // The configuration may have changed while the challenge ran: the client and its allowlist are checked again.
  const returnTo = client && isContinuation(c) ? deps.clients.returnTarget(client, c.returnTo) : null;
  if (!client || !returnTo || !isContinuation(c)) {
    deps.host.logger.warn({ adapter: ADAPTER_NAME, client: isContinuation(c) ? c.client : null }, 'embed result not issued: client or return URL no longer allowed');
    await deps.host.audit.record({ event: 'embed.result', result: 'denied', user: outcome.user, denyReason: 'CLIENT_GONE', adapter: ADAPTER_NAME, relyingParty: outcome.relyingParty ?? undefined, challengeId: outcome.challengeId });
    deps.host.pages.error(req, res, 400, 'error.UNKNOWN_RELYING_PARTY');
    return;
  }
  const token = await signResult(deps.keys, deps.issuer, deps.host.clock.now(), deps.resultLifetimeMs, {
    audience: client.audience,
    sub: c.sub,
    nonce: c.nonce,
    methods: outcome.methods,
    multiFactor: outcome.multiFactor,
    authnInstant: outcome.authnInstant,
  });
  await deps.host.audit.record({ event: 'embed.result', result: 'success', user: outcome.user, method: outcome.methods.join(',') || undefined, adapter: ADAPTER_NAME, relyingParty: client.id, challengeId: outcome.challengeId, clientIp: req.ip });
  returnTo.searchParams.set(RESULT_PARAM, token);
  sendContinuePage(res, returnTo.href, client.id);
}

export async function jwks(deps: FlowDeps, _req: Request, res: Response): Promise<void> {
  const keys = await deps.keys.published();
  // Short caching: a rollover is seen within minutes, and an unknown kid makes jose fetch again.
  res.setHeader('cache-control', 'public, max-age=300');
  res.type('application/jwk-set+json').send(JSON.stringify({ keys }));
}
