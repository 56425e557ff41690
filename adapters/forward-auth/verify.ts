/**
 * `GET /forward-auth/verify`, the subrequest nginx `auth_request`, Traefik `forwardAuth` and
 * Caddy `forward_auth` send for every request to a protected host. Ordered checks, each
 * ending the answer: the proxy is trusted → it names the original URL → a rule protects that
 * host → the browser has a live session → its user still exists and is not disabled (looked up
 * on every request, so disabling a user or taking them out of a group acts at once, not when the
 * session ends) → with a factor when the rule wants one → in one of the rule's groups. 200 carries the Remote-* headers (built here only: nothing the client sent is
 * echoed); an unauthenticated browser gets 401, or with `?redirect=1` (Traefik, Caddy) a 302
 * to the login entry with the original URL as `rd`.
 */
import type { Request, Response } from 'express';
import { inAnyGroup, type HostServices } from '../../src/sdk/adapter.js';
import type { ForwardAuthRule } from './config.js';
import type { HostRules } from './rules.js';
import type { ForwardSession, ForwardSessions } from './sessions.js';
import { originalUrl, type TrustedProxies } from './target.js';

export interface VerifyDeps {
  proxies: TrustedProxies;
  rules: HostRules;
  sessions: ForwardSessions;
  /** Absolute URL of the login entry (`…/forward-auth/login`). */
  loginUrl: string;
  logger: HostServices['logger'];
  users: Pick<HostServices['users'], 'findById'>;
}

type Verdict =
  | { status: 200; session: ForwardSession }
  | { status: 401; target: URL; why: string }
  | { status: 403; why: string };

export async function decide(deps: VerifyDeps, req: Request): Promise<Verdict> {
  if (!deps.proxies.has(req.socket.remoteAddress)) return { status: 403, why: 'verify request from an untrusted address' };
  const target = originalUrl(req.headers);
  if (!target) return { status: 403, why: 'the proxy named no original URL (X-Original-URL or X-Forwarded-Proto/-Host/-Uri)' };
  const rule = deps.rules.forUrl(target);
  if (!rule) return { status: 403, why: `no rule protects host ${target.hostname}` };
  const signedIn = await deps.sessions.read(req);
  if (!signedIn) return { status: 401, target, why: 'no session' };
  const user = await deps.users.findById(signedIn.userId);
  if (!user || user.disabled) return { status: 401, target, why: user ? `user ${user.username} is disabled` : 'the session\'s user no longer exists' };
  // The user's facts as the store holds them now (groups as last seen from the directory).
  const session: ForwardSession = { ...signedIn, username: user.username, email: user.email, displayName: user.displayName, groups: [...(user.groups ?? signedIn.groups)] };
  if (rule.mfa && !session.multiFactor) return { status: 401, target, why: 'session without a second factor' };
  if (!inGroups(rule, session)) return { status: 403, why: `user ${session.username} is in none of the groups of ${rule.host}` };
  return { status: 200, session };
}

/**
 * Whether the session's user is in one of the rule's groups, by the host's one membership rule
 * (the SDK's `inAnyGroup`): `admins` matches a directory's `CN=Admins,OU=Groups,…` as the policy
 * rules and console roles do, a DN only that DN.
 */
export function inGroups(rule: Pick<ForwardAuthRule, 'groups'>, session: Pick<ForwardSession, 'groups'>): boolean {
  if (rule.groups.length === 0) return true;
  return inAnyGroup(rule.groups, session.groups);
}

/**
 * Header values are the user's facts: a CR/LF or other control character is dropped, and a
 * character a header cannot carry (beyond Latin-1) becomes `?`, so no value breaks the answer.
 */
function headerSafe(v: string): string {
  let out = '';
  for (const ch of v) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) continue;
    out += code > 0xff ? '?' : ch;
  }
  return out;
}

export async function verify(deps: VerifyDeps, req: Request, res: Response): Promise<void> {
  const verdict = await decide(deps, req);
  res.set('Cache-Control', 'no-store');
  if (verdict.status === 200) {
    const s = verdict.session;
    res.set('Remote-User', headerSafe(s.username));
    res.set('Remote-Groups', headerSafe(s.groups.join(',')));
    res.set('Remote-Email', headerSafe(s.email ?? ''));
    res.set('Remote-Name', headerSafe(s.displayName ?? ''));
    res.set('Remote-MFA-Methods', headerSafe(s.methods.join(',')));
    res.status(200).end();
    return;
  }
  if (verdict.status === 403) {
    deps.logger.warn({ why: verdict.why, from: req.socket.remoteAddress }, 'forward-auth refused');
    res.status(403).type('text/plain').send('Forbidden\n');
    return;
  }
  deps.logger.debug({ why: verdict.why, host: verdict.target.hostname }, 'forward-auth: sign-in needed');
  const login = `${deps.loginUrl}?rd=${encodeURIComponent(verdict.target.href)}`;
  if (req.query.redirect !== undefined) {
    res.redirect(302, login);
    return;
  }
  res.set('Location', login).status(401).type('text/plain').send('Unauthorized\n');
}
