/**
 * Single sign-on: from a validated AuthnRequest (or an IdP-initiated start) to the Response.
 * 1. `decide`: a session that may be reused (same browser, no ForceAuthn, meets the requested
 *    context) answers at once; IsPassive without one answers NoPassive; otherwise the user goes
 *    to `/login` and the challenge, with the request as our sealed continuation.
 * 2. `resume` (called by the challenge engine) answers at once from the fresh session the engine
 *    hands over (SDK 2.1); from an older host, whose fresh session is only visible on the
 *    browser's next request, it sends the browser to `/sso/resume` to read it back.
 * 3. `finish` issues the signed Response from the session and records the RP for logout.
 */
import type { Request, Response } from 'express';
import type { ChallengeOutcome, HostApi, HostSession } from '../../src/sdk/adapter.js';
import type { SamlSigner } from '../../src/sdk/adapter.js';
import { meets } from './authn-context.js';
import type { RequestContext, RequestedAuthnContext } from './checks/context.js';
import { chooseNameIdFormat } from './name-id-policy.js';
import { sendPostForm } from './post-form.js';
import { SamlRejection } from './rejection.js';
import type { RelyingParty, RelyingPartyRegistry } from './relying-parties.js';
import type { ResponseIssuer } from './issue-response.js';
import { STATUS, postValue, statusResponse } from './outbound.js';
import { ADAPTER_NAME, addParticipant, idpData, peekIdpData, type IdpSessionData } from './session-data.js';

/** A validated request, carried through login and the challenge (sealed by the host). */
export interface PendingAuthn {
  rp: string;
  requestId: string | undefined;
  acsUrl: string;
  relayState: string | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  requested: RequestedAuthnContext | undefined;
  /** NameIDPolicy Format asked for, if any. */
  nameIdFormat?: string | undefined;
  /** The session this browser had before a forced re-authentication, to keep its logout list. */
  previous?: { userId: string; data: IdpSessionData } | undefined;
}

interface Sealed<T> {
  exp: number;
  value: T;
}

export interface SsoDeps {
  host: HostApi;
  relyingParties: RelyingPartyRegistry;
  issuer: ResponseIssuer;
  signer: SamlSigner;
  entityId: string;
  mountPath: string;
  sealTtlMs: number;
}

export function pendingFrom(ctx: RequestContext): PendingAuthn {
  return {
    rp: ctx.rp!.name,
    requestId: ctx.id,
    acsUrl: ctx.acs!.url,
    relayState: ctx.message.relayState,
    forceAuthn: ctx.forceAuthn ?? false,
    isPassive: ctx.isPassive ?? false,
    requested: ctx.requestedAuthnContext,
    nameIdFormat: ctx.nameIdFormat,
  };
}

export class SsoFlow {
  constructor(private readonly deps: SsoDeps) {}

  seal<T>(value: T, purpose: string): string {
    const sealed: Sealed<T> = { exp: this.deps.host.clock.now() + this.deps.sealTtlMs, value };
    return this.deps.host.secrets.encrypt(JSON.stringify(sealed), `${ADAPTER_NAME}:${purpose}`);
  }

  open<T>(token: unknown, purpose: string): T {
    if (typeof token !== 'string' || token.length > 8192) throw new SamlRejection('NO_SESSION', 'this sign-in link is incomplete; start again from the application');
    let sealed: Sealed<T>;
    try {
      sealed = JSON.parse(this.deps.host.secrets.decryptText(token, `${ADAPTER_NAME}:${purpose}`)) as Sealed<T>;
    } catch {
      throw new SamlRejection('NO_SESSION', 'this sign-in link is not valid; start again from the application');
    }
    if (sealed.exp <= this.deps.host.clock.now()) throw new SamlRejection('NO_SESSION', 'this sign-in link has expired; start again from the application');
    return sealed.value;
  }

  /** The RP and ACS of a pending request, looked up again (metadata may have been refreshed). */
  #target(pending: PendingAuthn): { rp: RelyingParty; acsUrl: string } {
    const rp = this.deps.relyingParties.byName(pending.rp);
    if (!rp) throw new SamlRejection('UNKNOWN_RELYING_PARTY', `the relying party ${pending.rp} is no longer configured`);
    if (!rp.acs.some((a) => a.url === pending.acsUrl && a.binding === 'post')) {
      throw new SamlRejection('FOREIGN_ACS', 'the assertion consumer URL is no longer registered for this relying party', { relyingParty: rp.name });
    }
    return { rp, acsUrl: pending.acsUrl };
  }

  async decide(req: Request, res: Response, pending: PendingAuthn): Promise<void> {
    const { host } = this.deps;
    const { rp } = this.#target(pending);
    // Core §3.4.1.1: a NameIDPolicy Format we may not issue to this RP is refused before any
    // login, rather than answered later with a NameID in a format it did not ask for.
    if (chooseNameIdFormat(rp.config, pending.nameIdFormat) === null) {
      await this.sendStatus(res, rp, pending, STATUS.invalidNameIdPolicy, 'INVALID_NAMEID_POLICY');
      return;
    }
    const session = await host.sessions.get(req);
    // A session only answers relying parties that accept the way it was opened (password here, or that upstream IdP).
    const sameProvider = session !== null && (session.identity?.provider ?? 'password') === rp.config.primary;
    if (session && sameProvider && !pending.forceAuthn && meets(pending.requested, session.multiFactor, rp.config.mfaAuthnContextClassRef)) {
      host.logger.info({ relyingParty: rp.name }, 'SAML single sign-on from the existing session');
      await this.finish(req, res, pending, session);
      return;
    }
    // Core §3.3.2.2.1: a context we cannot produce even with a second factor fails now.
    if (!meets(pending.requested, true, rp.config.mfaAuthnContextClassRef) && !meets(pending.requested, false, rp.config.mfaAuthnContextClassRef)) {
      await this.sendStatus(res, rp, pending, STATUS.noAuthnContext, 'NO_AUTHN_CONTEXT');
      return;
    }
    // Core §3.4.1: IsPassive forbids the IdP to interact with the user.
    if (pending.isPassive) {
      await this.sendStatus(res, rp, pending, STATUS.noPassive, 'NO_PASSIVE');
      return;
    }
    const previousData = session ? peekIdpData(session) : null;
    const continuation: PendingAuthn = { ...pending, previous: session && previousData ? { userId: session.userId, data: previousData } : undefined };
    // Step-up: a context only a second factor meets (multipleauthn) is asked for even from a
    // remembered device or a trusted network; if the policy then lets the user through without
    // one, `afterChallenge` answers NoAuthnContext.
    const stepUp = pending.requested !== undefined && !meets(pending.requested, false, rp.config.mfaAuthnContextClassRef);
    const to = await host.login.begin({ adapter: ADAPTER_NAME, continuation, relyingParty: rp.name, forceAuthn: pending.forceAuthn, stepUp, req, res }, rp.config.primary);
    res.redirect(303, to);
  }

  async resume(outcome: ChallengeOutcome, req: Request, res: Response): Promise<void> {
    const { host, mountPath } = this.deps;
    if (outcome.result === 'denied') {
      host.pages.denied(req, res, outcome);
      return;
    }
    const pending = outcome.continuation as PendingAuthn;
    // SDK 2.1: the engine hands over the session it just issued, so the Response goes out in
    // this reply to the challenge POST (one browser round trip fewer than /sso/resume).
    if (outcome.session) {
      await this.#answerAfterChallenge(req, res, pending, outcome.session);
      return;
    }
    const token = this.seal({ pending, challengeId: outcome.challengeId, userId: outcome.user.id, authnInstant: outcome.authnInstant }, 'resume');
    res.redirect(303, `${mountPath}/sso/resume?c=${token}`);
  }

  /** GET /sso/resume: the session the challenge just created answers the request, once. */
  async afterChallenge(req: Request, res: Response): Promise<void> {
    const { host } = this.deps;
    const state = this.open<{ pending: PendingAuthn; challengeId: string; userId: string; authnInstant: number }>(req.query.c, 'resume');
    const rpName = state.pending.rp;
    if (!(await host.replay.markUsed(`${ADAPTER_NAME}:resume`, state.challengeId, host.clock.now() + this.deps.sealTtlMs))) {
      throw new SamlRejection('REPLAYED_REQUEST', 'this sign-in was already completed', { relyingParty: rpName });
    }
    const session = await host.sessions.get(req);
    if (!session || session.userId !== state.userId || session.authnInstant !== state.authnInstant) {
      throw new SamlRejection('NO_SESSION', 'the sign-in session was not found in this browser', { relyingParty: rpName });
    }
    await this.#answerAfterChallenge(req, res, state.pending, session);
  }

  /** The Response (or NoAuthnContext) from the session a challenge just issued, keeping the logout list of a forced re-authentication. */
  async #answerAfterChallenge(req: Request, res: Response, pending: PendingAuthn, session: HostSession): Promise<void> {
    const previous = pending.previous;
    if (previous && previous.userId === session.userId) {
      const data = idpData(session);
      for (const p of previous.data.participants) addParticipant(data, p);
    }
    const { rp } = this.#target(pending);
    if (!meets(pending.requested, session.multiFactor, rp.config.mfaAuthnContextClassRef)) {
      await this.sendStatus(res, rp, pending, STATUS.noAuthnContext, 'NO_AUTHN_CONTEXT');
      return;
    }
    await this.finish(req, res, pending, session);
  }

  async finish(req: Request, res: Response, pending: PendingAuthn, session: HostSession): Promise<void> {
    const { host, issuer } = this.deps;
    const { rp, acsUrl } = this.#target(pending);
    // The user read with the session (one query); looked up only for a session not read by `get`.
    const user = session.user ?? (await host.users.findById(session.userId));
    if (!user || user.disabled) throw new SamlRejection('NO_SESSION', 'the signed-in user is no longer active', { relyingParty: rp.name });
    // Chosen again from the RP's current configuration: it may have changed during the login.
    const nameIdFormat = chooseNameIdFormat(rp.config, pending.nameIdFormat);
    if (nameIdFormat === null) {
      await this.sendStatus(res, rp, pending, STATUS.invalidNameIdPolicy, 'INVALID_NAMEID_POLICY');
      return;
    }
    const data = idpData(session);
    const issued = await issuer.issue({
      rp,
      acs: rp.acs.find((a) => a.url === acsUrl)!,
      user,
      authn: {
        methods: session.methods,
        multiFactor: session.multiFactor,
        authnInstant: session.authnInstant,
        sessionIndex: data.sessionIndex,
        sessionExpiresAt: session.expiresAt,
        identity: session.identity,
      },
      inResponseTo: pending.requestId,
      requestedAuthnContext: pending.requested,
      nameIdFormat,
      now: host.clock.now(),
    });
    addParticipant(data, { rp: rp.name, nameId: issued.nameId, nameIdFormat: issued.nameIdFormat });
    await host.sessions.update(session);
    await host.audit.record({
      event: 'saml-response',
      result: 'success',
      user,
      method: session.methods.join(',') || 'password',
      adapter: ADAPTER_NAME,
      relyingParty: rp.name,
      clientIp: req.ip,
      detail: `assertion ${issued.assertionId} to ${acsUrl}${pending.requestId ? '' : ' (IdP-initiated)'}${session.multiFactor ? '' : ' without a second factor'}`,
    });
    sendPostForm(res, {
      action: acsUrl,
      fields: { SAMLResponse: issued.samlResponse, RelayState: pending.relayState },
      mountPath: this.deps.mountPath,
      title: 'Signing you in…',
      button: 'Continue',
    });
  }

  /** An error Status to the ACS (Profiles §4.1.4.2: no assertion), signed like our Responses. */
  async sendStatus(res: Response, rp: RelyingParty, pending: PendingAuthn, subCode: string, reason: string): Promise<void> {
    const { host } = this.deps;
    const message = statusResponse({
      destination: pending.acsUrl,
      inResponseTo: pending.requestId,
      issuer: this.deps.entityId,
      now: host.clock.now(),
      code: STATUS.responder,
      subCode,
    });
    await host.audit.record({ event: 'saml-response', result: 'denied', adapter: ADAPTER_NAME, relyingParty: rp.name, denyReason: reason });
    sendPostForm(res, {
      action: pending.acsUrl,
      fields: { SAMLResponse: await postValue(message, this.deps.signer), RelayState: pending.relayState },
      mountPath: this.deps.mountPath,
      title: 'Returning to the application…',
      button: 'Continue',
    });
  }
}
