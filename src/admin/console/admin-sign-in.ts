/**
 * Signing in to the console is the host's own sign-in, not a second, weaker one: `/admin/login`
 * hands the browser to `/login` (password, regulation, audit) as an adapter would, the challenge
 * engine asks for the second factor, and `resume` here opens a console session only when
 * a factor was really verified (a one-time bypass or an `allow` policy does not count), the user
 * holds a role in `admin.roles`, and the browser still holds the binding that passed the
 * challenge. Every outcome is audited as `admin-sign-in`.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AdapterInstance, AuditApi, ChallengeOutcome, PageApi, UserRecord } from '../../api/host-api.js';
import type { HostConfig } from '../../config/schema.js';
import type { Directory } from '../../directory/directory.js';
import type { PendingLogins } from '../../login/pending-logins.js';
import { FactorgateError } from '../../kit/errors.js';
import { directoryGroups } from '../../policy/group-match.js';
import { roleOf } from './admin-roles.js';
import type { AdminSessions } from './admin-sessions.js';

/** The console's name in the adapter table the challenge engine resumes. */
export const ADMIN_CONSOLE_ADAPTER = 'admin-console';
export const CONSOLE_PATH = '/admin';

export interface AdminSignInDeps {
  roles: HostConfig['admin']['roles'];
  directory: Pick<Directory, 'find'>;
  sessions: AdminSessions;
  pending: Pick<PendingLogins, 'create'>;
  audit: AuditApi;
  pages: Pick<PageApi, 'denied' | 'error'>;
  logger: Logger;
}

/** Only a console path (no scheme, no `//host`, no backslash) is a place to return to. */
export function consoleReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?][^\\\s]*)?$/.test(value) && !value.startsWith('//') ? value : CONSOLE_PATH;
}

/** Sends the browser to the host's sign-in page for the console; back to `returnTo` after. */
export async function beginAdminSignIn(deps: AdminSignInDeps, req: Request, res: Response, returnTo: string): Promise<void> {
  const to = await deps.pending.create({
    adapter: ADMIN_CONSOLE_ADAPTER,
    continuation: { returnTo: consoleReturnPath(returnTo) },
    relyingParty: 'admin-console',
    // An admin without a method enrols one now; never `allow` (no factor) for the console.
    enrolmentPolicy: 'enroll',
    req,
    res,
  });
  res.redirect(303, to);
}

export function adminSignInAdapter(deps: AdminSignInDeps): AdapterInstance {
  const refuse = async (req: Request, res: Response, user: UserRecord, reason: string, messageKey: string) => {
    deps.logger.warn({ user: user.username, reason }, 'admin console sign-in refused');
    await deps.audit.record({ event: 'admin-sign-in', result: 'denied', user, denyReason: reason, adapter: ADMIN_CONSOLE_ADAPTER, clientIp: req.ip });
    deps.pages.error(req, res, 403, messageKey);
  };
  return {
    async resume(outcome: ChallengeOutcome, req, res) {
      if (outcome.result === 'denied') {
        deps.pages.denied(req, res, outcome);
        return;
      }
      if (!outcome.multiFactor) return refuse(req, res, outcome.user, 'NO_SECOND_FACTOR', 'admin.needsFactor');
      const entry = await deps.directory.find(outcome.user.username);
      const role = entry && !entry.disabled ? roleOf(deps.roles, { username: outcome.user.username, groups: directoryGroups(entry) }) : null;
      if (!role) return refuse(req, res, outcome.user, 'NOT_AN_ADMIN', 'admin.notAdmin');
      const session = await deps.sessions.create(req, res, { userId: outcome.user.id, name: outcome.user.username, role });
      if (!session) throw new FactorgateError('CHALLENGE_WRONG_BROWSER', { detail: 'admin sign-in resumed without a browser binding' });
      await deps.audit.record({ event: 'admin-sign-in', result: 'success', user: outcome.user, method: outcome.methods.join(','), adapter: ADMIN_CONSOLE_ADAPTER, clientIp: req.ip, detail: JSON.stringify({ role }) });
      deps.logger.info({ admin: outcome.user.username, role }, 'admin console session started');
      const continuation = outcome.continuation as { returnTo?: unknown } | null;
      res.redirect(303, consoleReturnPath(continuation?.returnTo));
    },
  };
}
