/**
 * Issue 19: a change in the portal more than five minutes after the session's last second factor
 * re-prompts instead of refusing. The browser goes through a challenge round of the same engine
 * (same methods, lockout and audit as at sign-in), adapter `host`, whose continuation names the
 * portal page the user was on; the engine's fresh session then carries a new `authnInstant` and
 * the host adapter sends the browser back to that page (`portalReturnPath`).
 */
import type { Request, Response } from 'express';
import type { AuditApi, ChallengeApi } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import { seeOther } from '../http/see-other.js';
import type { SignedInUser } from './signed-in-user.js';
import { factorIsRecent } from './recent-factor.js';

/** Only portal pages are ever returned to (the continuation is sealed, this is defence in depth). */
const PORTAL_PAGE = /^\/portal(?:\/[A-Za-z0-9_-]+)*$/;

/** The portal page a re-authentication challenge returns to, or null for any other continuation. */
export function portalReturnPath(continuation: unknown): string | null {
  if (typeof continuation !== 'object' || continuation === null) return null;
  const path = (continuation as { portalReturn?: unknown }).portalReturn;
  return typeof path === 'string' && PORTAL_PAGE.test(path) ? path : null;
}

export interface ReauthDeps {
  challenges: Pick<ChallengeApi, 'begin'>;
  audit: Pick<AuditApi, 'record'>;
  clock: Clock;
}

export interface PendingChange {
  /** The audit event of the change that waits (`method-add`, `backup-codes-issue`, …). */
  event: string;
  method?: string;
  /** The portal page holding the form, where the browser comes back after the challenge. */
  returnTo: string;
}

export interface Reauth {
  /**
   * True when the session's second factor is under five minutes old. Otherwise the waiting change
   * is audited (REAUTH_REQUIRED), a challenge is begun, the browser is redirected to it, and false
   * is returned: the caller changes nothing and answers nothing more.
   */
  recent(who: SignedInUser, req: Request, res: Response, change: PendingChange): Promise<boolean>;
}

export function createReauth(deps: ReauthDeps): Reauth {
  return {
    async recent(who, req, res, change) {
      if (factorIsRecent(who.session, deps.clock.now())) return true;
      if (!PORTAL_PAGE.test(change.returnTo)) throw new Error(`re-authentication cannot return to ${change.returnTo}`);
      await deps.audit.record({ event: change.event, result: 'denied', user: who.user, method: change.method, denyReason: 'REAUTH_REQUIRED', adapter: 'host', clientIp: req.ip, detail: 'second factor older than 5 minutes: challenge begun' });
      const began = await deps.challenges.begin({
        user: who.user,
        adapter: 'host',
        continuation: { portalReturn: change.returnTo },
        // A re-authentication proves a method the user has; it never enrols one nor lets one pass.
        enrolmentPolicy: 'deny',
        identity: who.session.identity ?? undefined,
        req,
        res,
      });
      seeOther(res, began.redirectTo);
      return false;
    },
  };
}
