/**
 * The login entry `GET /forward-auth/login?rd=<original URL>` and the end of the sign-in:
 * `rd` must be a URL on a protected host (anything else is refused, never followed); a browser
 * that already holds factorgate's multi-factor session gets the forward-auth cookie at once,
 * others go through `/login` and the challenge, and `resume` sets the cookie and sends the
 * browser back to `rd`. Logout clears both.
 */
import type { Request, Response } from 'express';
import { FactorgateError, type ChallengeOutcome, type HostServices, type UserRecord } from '../../src/sdk/adapter.js';
import type { HostRules } from './rules.js';
import type { ForwardSessions } from './sessions.js';

export const ADAPTER_NAME = 'forward-auth';

interface Continuation {
  rd: string;
}

export interface SignInDeps {
  host: HostServices;
  rules: HostRules;
  sessions: ForwardSessions;
}

function target(deps: SignInDeps, raw: unknown): URL {
  const url = deps.rules.redirectTarget(raw);
  if (!url) {
    throw new FactorgateError('BAD_REQUEST', {
      detail: `forward-auth: redirect target refused: ${typeof raw === 'string' ? raw.slice(0, 200) : typeof raw}`,
      publicDetail: 'The address to return to is not one this sign-in protects.',
    });
  }
  return url;
}

function facts(user: UserRecord, methods: string[], multiFactor: boolean, at: number) {
  return { userId: user.id, username: user.username, email: user.email, displayName: user.displayName, groups: [...(user.groups ?? [])], methods, multiFactor, at };
}

export async function login(deps: SignInDeps, req: Request, res: Response): Promise<void> {
  const rd = target(deps, req.query.rd);
  const rule = deps.rules.forUrl(rd);
  const existing = await deps.host.sessions.get(req);
  if (existing && (existing.multiFactor || rule?.mfa === false)) {
    const user = await deps.host.users.findById(existing.userId);
    if (user && !user.disabled) {
      await deps.sessions.create(res, facts(user, existing.methods, existing.multiFactor, existing.authnInstant));
      await deps.host.audit.record({ event: 'forward-auth.session', result: 'success', user, adapter: ADAPTER_NAME, relyingParty: rule?.host, detail: 'from the existing session' });
      res.redirect(303, rd.href);
      return;
    }
  }
  const continuation: Continuation = { rd: rd.href };
  res.redirect(303, await deps.host.login.begin({ adapter: ADAPTER_NAME, continuation, relyingParty: rule?.host, req, res }));
}

export async function resume(deps: SignInDeps, outcome: ChallengeOutcome, req: Request, res: Response): Promise<void> {
  if (outcome.result === 'denied') {
    deps.host.logger.info({ adapter: ADAPTER_NAME, reason: outcome.reason }, 'forward-auth sign-in denied');
    deps.host.pages.denied(req, res, outcome);
    return;
  }
  const rd = target(deps, (outcome.continuation as Partial<Continuation> | null)?.rd);
  await deps.sessions.create(res, facts(outcome.user, outcome.methods, outcome.multiFactor, outcome.authnInstant));
  await deps.host.audit.record({ event: 'forward-auth.session', result: 'success', user: outcome.user, adapter: ADAPTER_NAME, relyingParty: deps.rules.forUrl(rd)?.host, challengeId: outcome.challengeId });
  res.redirect(303, rd.href);
}

export async function logout(deps: SignInDeps, req: Request, res: Response): Promise<void> {
  const rd = req.query.rd === undefined ? null : target(deps, req.query.rd);
  await deps.sessions.destroy(req, res);
  await deps.host.sessions.destroy(req, res);
  res.redirect(303, rd ? rd.href : `${deps.host.publicUrl}/login`);
}
