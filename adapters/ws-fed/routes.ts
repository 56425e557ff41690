/**
 * Express glue: `/wsfed` runs the request checks and hands the request to the sign-in or
 * sign-out flow; `/wsfed/resume` finishes a sign-in after the challenge. Every refusal becomes an
 * error page naming the realm and what was wrong, a warning in the log (the reason, never a
 * parameter whole) and an audit record.
 */
import type { Request, Response, Router } from 'express';
import type { HostApi } from '../../src/sdk/adapter.js';
import { checkRequest, type RequestLimits } from './check-request.js';
import type { FederationMetadata } from './metadata.js';
import { AUTOSUBMIT_JS, AUTOSUBMIT_PATH } from './post-form.js';
import type { RealmRegistry } from './realms.js';
import { WsFedRejection } from './rejection.js';
import { ADAPTER_NAME } from './session-data.js';
import type { SignInFlow } from './sign-in-flow.js';
import type { SignOutFlow } from './sign-out.js';

export interface RouteDeps {
  host: Pick<HostApi, 'logger' | 'audit' | 'pages'>;
  limits: RequestLimits;
  realms: RealmRegistry;
  signIn: SignInFlow;
  signOut: SignOutFlow;
  metadata: FederationMetadata;
}

type Handler = (req: Request, res: Response) => Promise<void>;

export function rawQuery(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? '' : url.slice(i + 1);
}

/** Runs a handler; a WsFedRejection it throws is logged, audited and answered with the error page. */
export function guardRejections(host: Pick<HostApi, 'logger' | 'audit' | 'pages'>): (handler: Handler) => Handler {
  return (handler) => async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (!(err instanceof WsFedRejection)) throw err;
      host.logger.warn({ reason: err.reason, realm: err.realm, path: req.path }, 'WS-Federation request refused');
      await host.audit.record({ event: 'wsfed-request', result: 'denied', adapter: ADAPTER_NAME, relyingParty: err.realm, denyReason: err.reason, clientIp: req.ip, detail: err.publicDetail });
      host.pages.error(req, res, err.status, `error.${err.code}`, err.publicDetail);
    }
  };
}

export function mountRoutes(router: Router, deps: RouteDeps): void {
  const { host } = deps;

  const guarded = guardRejections(host);

  router.get(AUTOSUBMIT_PATH, (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(AUTOSUBMIT_JS);
  });

  router.get(
    '/metadata',
    guarded(async (_req, res) => {
      res.type('application/samlmetadata+xml').set('Cache-Control', 'public, max-age=300').send(await deps.metadata.document());
    }),
  );

  router.get(
    '/',
    guarded(async (req, res) => {
      const ctx = checkRequest(rawQuery(req.originalUrl), deps.limits, deps.realms);
      if (ctx.action === 'wsignin1.0') {
        await deps.signIn.decide(req, res, { realm: ctx.realm!.name, replyUrl: ctx.replyUrl!, wctx: ctx.wctx, forceAuthn: ctx.freshMinutes === 0 }, ctx.freshMinutes);
        return;
      }
      await deps.signOut.signOut(req, res, ctx.action!, ctx.params.get('wreply'));
    }),
  );

  router.get(
    '/resume',
    guarded((req, res) => deps.signIn.afterChallenge(req, res)),
  );
}
