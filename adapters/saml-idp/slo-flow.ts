/**
 * Single logout (SAML Profiles §4.4), front channel. An RP's LogoutRequest ends the host session
 * at once; then each other RP of the session that has an SLO endpoint gets a LogoutRequest in
 * turn (§4.4.3.2), the browser carrying the progress in a sealed cookie; last, the initiating RP
 * gets our LogoutResponse (`PartialLogout` when an RP did not confirm, §4.4.3.4).
 */
import type { Request, Response } from 'express';
import type { HostApi } from '../../src/sdk/adapter.js';
import type { SamlSigner } from '../../src/sdk/adapter.js';
import { logoutRequest, logoutResponse, postValue, redirectUrl, STATUS, type CanonicalMessage } from './outbound.js';
import { sendPostForm } from './post-form.js';
import { SamlRejection } from './rejection.js';
import type { RelyingPartyRegistry } from './relying-parties.js';
import { ADAPTER_NAME, peekIdpData, type Participant } from './session-data.js';
import type { SsoFlow } from './sso-flow.js';

const COOKIE = 'fg_saml_slo';

export interface LogoutRequestIn {
  rp: string;
  requestId: string;
  relayState: string | undefined;
  nameId: string;
  sessionIndexes: string[];
}

export interface LogoutResponseIn {
  rp: string;
  inResponseTo: string | undefined;
  statusCode: string | undefined;
}

interface LogoutState {
  initiator: { rp: string; requestId: string; relayState: string | undefined };
  sessionIndex: string;
  queue: Participant[];
  awaiting: { rp: string; requestId: string } | null;
  partial: boolean;
}

export interface SloDeps {
  host: HostApi;
  relyingParties: RelyingPartyRegistry;
  signer: SamlSigner;
  sso: SsoFlow;
  entityId: string;
  mountPath: string;
  messageLifetimeMs: number;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class SloFlow {
  constructor(private readonly deps: SloDeps) {}

  #secure(): boolean {
    return this.deps.host.publicUrl.startsWith('https:');
  }

  #saveState(res: Response, state: LogoutState | null): void {
    const options = { path: this.deps.mountPath, httpOnly: true, sameSite: 'lax' as const, secure: this.#secure() };
    if (state === null) res.clearCookie(COOKIE, options);
    else res.cookie(COOKIE, this.deps.sso.seal(state, 'slo'), { ...options, maxAge: 10 * 60_000 });
  }

  async onLogoutRequest(req: Request, res: Response, input: LogoutRequestIn): Promise<void> {
    const { host } = this.deps;
    const session = await host.sessions.get(req);
    const data = session ? peekIdpData(session) : null;
    const mine = data?.participants.find((p) => p.rp === input.rp && p.nameId === input.nameId);
    const indexMatches = input.sessionIndexes.length === 0 || (data !== null && input.sessionIndexes.includes(data.sessionIndex));
    if (session && data && (!mine || !indexMatches)) {
      // Core §3.7.3.2: the principal or session named is not this browser's; nothing is ended.
      await host.audit.record({ event: 'saml-logout', result: 'denied', adapter: ADAPTER_NAME, relyingParty: input.rp, denyReason: 'UNKNOWN_PRINCIPAL', clientIp: req.ip });
      await this.#answerInitiator(res, { rp: input.rp, requestId: input.requestId, relayState: input.relayState }, STATUS.requester, 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal');
      return;
    }
    if (session) {
      const user = await host.users.findById(session.userId);
      await host.sessions.destroy(req, res);
      await host.audit.record({ event: 'saml-logout', result: 'success', user, adapter: ADAPTER_NAME, relyingParty: input.rp, clientIp: req.ip, detail: 'session ended by the relying party’s LogoutRequest' });
    }
    const state: LogoutState = {
      initiator: { rp: input.rp, requestId: input.requestId, relayState: input.relayState },
      sessionIndex: data?.sessionIndex ?? '',
      queue: (data?.participants ?? []).filter((p) => p.rp !== input.rp && this.deps.relyingParties.byName(p.rp)?.slo),
      awaiting: null,
      partial: false,
    };
    await this.#next(res, state);
  }

  async onLogoutResponse(req: Request, res: Response, input: LogoutResponseIn): Promise<void> {
    let state: LogoutState;
    try {
      state = this.deps.sso.open<LogoutState>(readCookie(req, COOKIE), 'slo');
    } catch {
      throw new SamlRejection('NO_SESSION', 'a LogoutResponse arrived but no logout is in progress in this browser', { relyingParty: input.rp });
    }
    if (!state.awaiting || state.awaiting.rp !== input.rp || state.awaiting.requestId !== input.inResponseTo) {
      throw new SamlRejection('REPLAYED_REQUEST', 'the LogoutResponse does not answer the LogoutRequest we sent', { relyingParty: input.rp });
    }
    if (input.statusCode !== STATUS.success) state.partial = true;
    state.awaiting = null;
    await this.#next(res, state);
  }

  async #next(res: Response, state: LogoutState): Promise<void> {
    const { host, relyingParties, entityId } = this.deps;
    while (state.queue.length > 0) {
      const p = state.queue.shift()!;
      const rp = relyingParties.byName(p.rp);
      if (!rp?.slo) continue;
      const message = logoutRequest({
        destination: rp.slo.url,
        issuer: entityId,
        now: host.clock.now(),
        lifetimeMs: this.deps.messageLifetimeMs,
        nameId: p.nameId,
        nameIdFormat: p.nameIdFormat,
        ...(p.nameIdFormat.endsWith(':persistent') ? { spNameQualifier: rp.entityId } : {}),
        sessionIndex: state.sessionIndex,
      });
      state.awaiting = { rp: rp.name, requestId: message.id };
      this.#saveState(res, state);
      await this.#send(res, rp.slo.binding, rp.slo.url, 'SAMLRequest', message, undefined);
      return;
    }
    this.#saveState(res, null);
    await this.#answerInitiator(res, state.initiator, state.partial ? STATUS.responder : STATUS.success, state.partial ? STATUS.partialLogout : undefined);
  }

  async #answerInitiator(res: Response, initiator: LogoutState['initiator'], code: string, subCode: string | undefined): Promise<void> {
    const rp = this.deps.relyingParties.byName(initiator.rp);
    if (!rp?.slo) {
      res.status(200).type('html').set('Cache-Control', 'no-store').send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><h1>You are signed out.</h1></body></html>');
      return;
    }
    const message = logoutResponse({
      destination: rp.slo.responseUrl,
      inResponseTo: initiator.requestId,
      issuer: this.deps.entityId,
      now: this.deps.host.clock.now(),
      code,
      ...(subCode ? { subCode } : {}),
    });
    await this.#send(res, rp.slo.binding, rp.slo.responseUrl, 'SAMLResponse', message, initiator.relayState);
  }

  async #send(res: Response, binding: 'post' | 'redirect', url: string, field: 'SAMLRequest' | 'SAMLResponse', message: CanonicalMessage, relayState: string | undefined): Promise<void> {
    if (binding === 'redirect') {
      res.redirect(303, redirectUrl(url, field, message, relayState, this.deps.host.keys.current.privateKey!));
      return;
    }
    sendPostForm(res, { action: url, fields: { [field]: await postValue(message, this.deps.signer), RelayState: relayState }, mountPath: this.deps.mountPath, title: 'Signing you out…', button: 'Continue' });
  }
}
