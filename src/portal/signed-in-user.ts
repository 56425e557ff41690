/**
 * Who may use the portal: a session whose second factor passed, for a user the store still knows
 * and has not disabled. Every portal page asks this once per request; anyone else goes to /login.
 */
import type { Request } from 'express';
import type { HostSession, SessionApi, UserApi, UserRecord } from '../api/host-api.js';

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
