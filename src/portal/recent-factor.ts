/**
 * Issue 19: any change in the portal needs a second factor verified in the last five minutes,
 * so a session left open on a shared computer cannot swap the user's methods. The session's
 * `authnInstant` is when its second factor was verified (the engine starts a fresh session then).
 */
import type { HostSession } from '../api/host-api.js';

export const REAUTH_WINDOW_MS = 5 * 60_000;

export function factorIsRecent(session: Pick<HostSession, 'authnInstant'>, now: number): boolean {
  return now - session.authnInstant <= REAUTH_WINDOW_MS;
}
