/**
 * Express glue: each route decodes the binding, runs the endpoint's check table, and hands the
 * validated request to the SSO or SLO flow. Every refusal becomes an error page naming the RP
 * and what was wrong, a warning in the log (reason, never the message) and an audit record.
 *
 * HTTP-POST messages arrive as cross-site POSTs, which carry no `SameSite=Lax` session cookie.
 * So once validated they are sealed and the browser is sent to a GET on the same endpoint, a
 * top-level navigation that does carry it; only then is the session looked at.
 */
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { HostApi } from '../../src/sdk/adapter.js';
import type { IdpSettings, RequestContext } from './checks/context.js';
import { decodePost, decodeRedirect, type DecodeLimits, type DecodedMessage } from './decode-message.js';
import { AUTOSUBMIT_JS, AUTOSUBMIT_PATH } from './post-form.js';
import { SamlRejection } from './rejection.js';
import type { RelyingPartyRegistry } from './relying-parties.js';
import { ADAPTER_NAME } from './session-data.js';
import type { SloFlow, LogoutRequestIn, LogoutResponseIn } from './slo-flow.js';
import { pendingFrom, type PendingAuthn, type SsoFlow } from './sso-flow.js';
import { AUTHN_REQUEST_CHECKS, LOGOUT_REQUEST_CHECKS, LOGOUT_RESPONSE_CHECKS, runChecks } from './validate-request.js';

export interface RouteDeps {
  host: HostApi;
  idp: IdpSettings;
  limits: DecodeLimits;
  relyingParties: RelyingPartyRegistry;
  sso: SsoFlow;
  slo: SloFlow;
  metadata: () => string;
  mountPath: string;
}

type Handler = (req: Request, res: Response) => Promise<void>;

type Bounced = ({ kind: 'authn'; pending: PendingAuthn } | { kind: 'logout-request'; request: LogoutRequestIn } | { kind: 'logout-response'; response: LogoutResponseIn }) & { nonce?: string };

/** Runs a handler; a SamlRejection it throws is logged, audited and answered with the error page. */
export function guardRejections(host: Pick<HostApi, 'logger' | 'audit' | 'pages'>): (handler: Handler) => Handler {
  const reject = async (req: Request, res: Response, err: SamlRejection) => {
    host.logger.warn({ reason: err.reason, relyingParty: err.relyingParty, path: req.path }, 'SAML request refused');
    await host.audit.record({
      event: 'saml-request',
      result: 'denied',
      adapter: ADAPTER_NAME,
      relyingParty: err.relyingParty,
      denyReason: err.reason,
      clientIp: req.ip,
      detail: err.publicDetail,
    });
    host.pages.error(req, res, err.status, `error.${err.code}`, err.publicDetail);
  };
  return (handler) => async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (err instanceof SamlRejection) await reject(req, res, err);
      else throw err;
    }
  };
}

export function mountRoutes(router: Router, deps: RouteDeps): void {
  const { host } = deps;

  const guarded = guardRejections(host);

  // The form parser's own errors (too large, too many fields) become rejections, so they are audited.
  const form = express.urlencoded({ extended: false, limit: deps.limits.maxMessageBytes * 2 + 4096, parameterLimit: 8 });
  const parseForm = (req: Request, res: Response): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      form(req, res, ((err?: unknown) => {
        if (err) {
          const status = (err as { status?: number }).status;
          reject(status === 413 ? new SamlRejection('TOO_LARGE', 'the posted message is larger than allowed') : new SamlRejection('BAD_ENCODING', 'the posted form could not be read'));
        } else resolve((req.body ?? {}) as Record<string, unknown>);
      }) as NextFunction);
    });

  const rawQuery = (req: Request) => {
    const i = req.originalUrl.indexOf('?');
    return i < 0 ? '' : req.originalUrl.slice(i + 1);
  };

  const validate = (kind: RequestContext['kind'], message: DecodedMessage) => {
    const table = kind === 'AuthnRequest' ? AUTHN_REQUEST_CHECKS : kind === 'LogoutRequest' ? LOGOUT_REQUEST_CHECKS : LOGOUT_RESPONSE_CHECKS;
    return runChecks({ kind, message, now: host.clock.now(), idp: deps.idp, relyingParties: deps.relyingParties, replay: host.replay }, table);
  };

  const toBounced = (ctx: RequestContext): Bounced => {
    if (ctx.kind === 'AuthnRequest') return { kind: 'authn', pending: pendingFrom(ctx) };
    if (ctx.kind === 'LogoutRequest') {
      return { kind: 'logout-request', request: { rp: ctx.rp!.name, requestId: ctx.id!, relayState: ctx.message.relayState, nameId: ctx.nameId!, sessionIndexes: ctx.sessionIndexes ?? [] } };
    }
    return { kind: 'logout-response', response: { rp: ctx.rp!.name, inResponseTo: ctx.inResponseTo, statusCode: ctx.statusCode } };
  };

  const proceed = async (req: Request, res: Response, b: Bounced) => {
    if (b.kind === 'authn') await deps.sso.decide(req, res, b.pending);
    else if (b.kind === 'logout-request') await deps.slo.onLogoutRequest(req, res, b.request);
    else await deps.slo.onLogoutResponse(req, res, b.response);
  };

  router.get('/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').set('Cache-Control', 'public, max-age=300').send(deps.metadata());
  });
  router.get(AUTOSUBMIT_PATH, (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(AUTOSUBMIT_JS);
  });

  router.get(
    '/sso',
    guarded(async (req, res) => {
      const query = rawQuery(req);
      if (!/(^|&)SAMLRequest=/.test(query) && typeof req.query.rp === 'string') {
        // IdP-initiated SSO (Profiles §4.1.5): unsolicited, so only for RPs that opted in.
        const rp = deps.relyingParties.byName(req.query.rp);
        if (!rp) throw new SamlRejection('UNKNOWN_RELYING_PARTY', `no relying party is named ${req.query.rp.slice(0, 100)}`);
        if (!rp.config.allowIdpInitiated) throw new SamlRejection('IDP_INITIATED_DISABLED', 'IdP-initiated sign-in is not enabled for this relying party', { relyingParty: rp.name });
        const acs = rp.acs.find((a) => a.binding === 'post' && a.isDefault) ?? rp.acs.find((a) => a.binding === 'post');
        if (!acs) throw new SamlRejection('FOREIGN_ACS', 'this relying party has no HTTP-POST assertion consumer service', { relyingParty: rp.name });
        await deps.sso.decide(req, res, { rp: rp.name, requestId: undefined, acsUrl: acs.url, relayState: rp.config.idpInitiatedRelayState, forceAuthn: false, isPassive: false, requested: undefined });
        return;
      }
      const ctx = await validate('AuthnRequest', decodeRedirect(query, 'SAMLRequest', deps.limits));
      await deps.sso.decide(req, res, pendingFrom(ctx));
    }),
  );

  const postEndpoint = (path: '/sso' | '/slo') =>
    guarded(async (req, res) => {
      const body = await parseForm(req, res);
      const field = path === '/slo' && typeof body.SAMLResponse === 'string' ? 'SAMLResponse' : 'SAMLRequest';
      const kind = path === '/sso' ? 'AuthnRequest' : field === 'SAMLResponse' ? 'LogoutResponse' : 'LogoutRequest';
      const ctx = await validate(kind, decodePost(body, field, deps.limits));
      const bounced: Bounced = { ...toBounced(ctx), nonce: randomBytes(16).toString('base64url') };
      res.redirect(303, `${deps.mountPath}${path}/continue?r=${deps.sso.seal(bounced, 'bounce')}`);
    });
  router.post('/sso', postEndpoint('/sso'));
  router.post('/slo', postEndpoint('/slo'));

  const continueEndpoint = guarded(async (req, res) => {
    const bounced = deps.sso.open<Bounced>(req.query.r, 'bounce');
    // The sealed link is single use, like the request it carries.
    if (!bounced.nonce || !(await host.replay.markUsed(`${ADAPTER_NAME}:bounce`, bounced.nonce, host.clock.now() + 10 * 60_000))) {
      throw new SamlRejection('REPLAYED_REQUEST', 'this sign-in link was already used');
    }
    await proceed(req, res, bounced);
  });
  router.get('/sso/continue', continueEndpoint);
  router.get('/slo/continue', continueEndpoint);

  router.get(
    '/sso/resume',
    guarded((req, res) => deps.sso.afterChallenge(req, res)),
  );

  router.get(
    '/slo',
    guarded(async (req, res) => {
      const query = rawQuery(req);
      const isResponse = /(^|&)SAMLResponse=/.test(query);
      const ctx = await validate(isResponse ? 'LogoutResponse' : 'LogoutRequest', decodeRedirect(query, isResponse ? 'SAMLResponse' : 'SAMLRequest', deps.limits));
      await proceed(req, res, toBounced(ctx));
    }),
  );
}
