/**
 * Passive sign-in (WS-Federation 1.2 §13.2.2-13.2.3): from a checked `wsignin1.0` request to the
 * posted token.
 * 1. `decide`: a session of this browser that is fresh enough (wfresh) answers at once;
 *    otherwise the user goes to `/login` and the challenge, with the request as our
 *    continuation (sealed with the challenge by the host).
 * 2. `resume` (called by the challenge engine) sends the browser to `/wsfed/resume`, because the
 *    fresh session the engine just issued is only visible on the browser's next request. The
 *    request waits in the adapter's keyed state under a random key, taken once.
 * 3. `finish` issues the token from the session, records the realm for sign-out, audits, and
 *    posts `wa`, `wresult` and `wctx` to the reply URL.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ChallengeOutcome, HostApi, HostSession } from '../../src/sdk/adapter.js';
import type { TokenIssuer } from './issue-token.js';
import { sendPostForm } from './post-form.js';
import { replyUrlFor, type Realm, type RealmRegistry } from './realms.js';
import { WsFedRejection } from './rejection.js';
import { ADAPTER_NAME, addRealm } from './session-data.js';

/** A checked sign-in request, carried through login and the challenge. */
export interface PendingSignIn {
  realm: string;
  replyUrl: string;
  wctx: string | undefined;
  /** wfresh=0: the relying party asked for a new sign-in. */
  forceAuthn: boolean;
}

interface Resumed {
  pending: PendingSignIn;
  userId: string;
  authnInstant: number;
}

export interface SignInDeps {
  host: Pick<HostApi, 'sessions' | 'login' | 'state' | 'users' | 'audit' | 'logger' | 'clock' | 'pages'>;
  realms: RealmRegistry;
  issuer: TokenIssuer;
  mountPath: string;
  /** How long a finished challenge may wait for the browser's next request. */
  resumeTtlMs: number;
}

export class SignInFlow {
  constructor(private readonly deps: SignInDeps) {}

  /** The realm and reply URL of a pending request, looked up again (configuration may have changed). */
  #target(pending: PendingSignIn): Realm {
    const realm = this.deps.realms.byName(pending.realm);
    if (!realm) throw new WsFedRejection('UNKNOWN_REALM', `the realm ${pending.realm} is no longer configured`);
    if (replyUrlFor(realm, pending.replyUrl) === null) throw new WsFedRejection('FOREIGN_REPLY', 'the reply address is no longer registered for this realm', { realm: realm.name });
    return realm;
  }

  async decide(req: Request, res: Response, pending: PendingSignIn, freshMinutes: number | undefined): Promise<void> {
    const { host } = this.deps;
    const realm = this.#target(pending);
    const session = await host.sessions.get(req);
    const fresh = freshMinutes === undefined || (freshMinutes > 0 && host.clock.now() - (session?.authnInstant ?? 0) <= freshMinutes * 60_000);
    // A session opened at an upstream IdP (the SAML bridge) is not one this realm's password sign-in can reuse.
    if (session && (session.identity?.provider ?? 'password') === 'password' && fresh && !pending.forceAuthn) {
      host.logger.info({ realm: realm.name }, 'WS-Federation sign-in from the existing session');
      await this.finish(req, res, pending, session);
      return;
    }
    const to = await host.login.begin({ adapter: ADAPTER_NAME, continuation: pending, relyingParty: realm.name, forceAuthn: pending.forceAuthn, req, res });
    res.redirect(303, to);
  }

  async resume(outcome: ChallengeOutcome, req: Request, res: Response): Promise<void> {
    const { host } = this.deps;
    if (outcome.result === 'denied') {
      host.pages.denied(req, res, outcome);
      return;
    }
    const pending = outcome.continuation as PendingSignIn;
    // SDK 2.1: the engine hands over the session it just issued; answer the realm in this reply
    // to the challenge POST instead of a round trip through /wsfed/resume.
    if (outcome.session) {
      await this.finish(req, res, pending, outcome.session);
      return;
    }
    const key = randomBytes(24).toString('base64url');
    const resumed: Resumed = { pending, userId: outcome.user.id, authnInstant: outcome.authnInstant };
    await host.state.put(`resume:${key}`, resumed, this.deps.resumeTtlMs);
    res.redirect(303, `${this.deps.mountPath}/resume?c=${key}`);
  }

  /** GET /wsfed/resume: the session the challenge just created answers the request, once. */
  async afterChallenge(req: Request, res: Response): Promise<void> {
    const { host } = this.deps;
    const key = req.query.c;
    if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{32}$/.test(key)) throw new WsFedRejection('NO_SESSION', 'this sign-in link is incomplete; start again from the application');
    const resumed = await host.state.take<Resumed>(`resume:${key}`);
    if (!resumed) throw new WsFedRejection('REPLAYED', 'this sign-in was already completed or has expired; start again from the application');
    const session = await host.sessions.get(req);
    if (!session || session.userId !== resumed.userId || session.authnInstant !== resumed.authnInstant) {
      throw new WsFedRejection('NO_SESSION', 'the sign-in session was not found in this browser', { realm: resumed.pending.realm });
    }
    await this.finish(req, res, resumed.pending, session);
  }

  async finish(req: Request, res: Response, pending: PendingSignIn, session: HostSession): Promise<void> {
    const { host } = this.deps;
    const realm = this.#target(pending);
    const user = session.user ?? (await host.users.findById(session.userId));
    if (!user || user.disabled) throw new WsFedRejection('NO_SESSION', 'the signed-in user is no longer active', { realm: realm.name });
    const token = await this.deps.issuer.issue(realm, { user, multiFactor: session.multiFactor, authnInstant: session.authnInstant }, host.clock.now());
    addRealm(session, realm.name);
    await host.sessions.update(session);
    await host.audit.record({
      event: 'wsfed-response',
      result: 'success',
      user,
      method: session.methods.join(',') || 'password',
      adapter: ADAPTER_NAME,
      relyingParty: realm.name,
      clientIp: req.ip,
      detail: `assertion ${token.assertionId} to ${pending.replyUrl}${session.multiFactor ? '' : ' without a second factor'}`,
    });
    sendPostForm(res, { action: pending.replyUrl, fields: { wa: 'wsignin1.0', wresult: token.wresult, wctx: pending.wctx }, mountPath: this.deps.mountPath });
  }
}
