/**
 * Who may use the portal: a session whose second factor passed, for a user the store still knows
 * and has not disabled. Every portal page asks this once per request; anyone else goes to /login.
 * A form post then has its CSRF token checked, in that order (`portalPost`), on every page.
 */
import type { Request, Response } from 'express';
import type { HostSession, SessionApi, UserApi, UserRecord } from '../api/host-api.js';
import type { Csrf } from '../http/csrf.js';
import { seeOther } from '../http/see-other.js';

export interface SignedInUser {
  user: UserRecord;
  session: HostSession;
}

export interface SignedInDeps {
  sessions: Pick<SessionApi, 'get'>;
  users: Pick<UserApi, 'findById'>;
}

export async function signedInUser(deps: SignedInDeps, req: Request): Promise<SignedInUser | null> {
  const session = await deps.sessions.get(req);
  if (!session || !session.multiFactor) return null;
  // The user read with the session; looked up only for a session not read by `get`.
  const user = session.user ?? (await deps.users.findById(session.userId));
  return user && !user.disabled ? { user, session } : null;
}

/** A portal page's start: the signed-in user, or null once the browser is sent to /login. */
export async function portalUser(deps: SignedInDeps, req: Request, res: Response): Promise<SignedInUser | null> {
  const who = await signedInUser(deps, req);
  if (!who) seeOther(res, '/login');
  return who;
}

/** A portal form post's start: the signed-in user (else /login and null), then its CSRF token (a wrong one throws 403). */
export async function portalPost(deps: SignedInDeps & { csrf: Pick<Csrf, 'check'> }, req: Request, res: Response): Promise<SignedInUser | null> {
  const who = await portalUser(deps, req, res);
  if (who) deps.csrf.check(req);
  return who;
}

/**
 * A posted (or query) field as the portal reads it: a string, NFKC-normalised (full-width
 * digits and compatibility forms become their plain form), trimmed, at most `max` characters;
 * anything else is ''.
 */
export function formField(value: unknown, max = 200): string {
  return typeof value === 'string' ? value.normalize('NFKC').trim().slice(0, max) : '';
}

/** The body field `name` of a urlencoded form post (see `formField`). */
export function bodyField(req: Request, name: string, max = 200): string {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return formField(body[name], max);
}
