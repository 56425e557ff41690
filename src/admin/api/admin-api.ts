/**
 * The admin API router, mounted at /admin/api/v1 (DESIGN.md): the OpenAPI document (public: it
 * holds no data), then in order for every other request: parse a JSON body (bounded), check the
 * bearer token, find the route, check the token's role, run the handler. Answers are JSON (or
 * CSV for a report asked as CSV), `Cache-Control: no-store`; errors reach the host's one error
 * handler, which the host mounts after this router with a JSON renderer.
 *
 * No CSRF token: a browser never attaches a bearer token on its own, so a forged cross-site
 * request arrives without one and gets 401.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../store/schema.js';
import type { Clock } from '../../kit/clock.js';
import type { AuditApi, RegulationApi } from '../../api/host-api.js';
import { FactorgateError } from '../../kit/errors.js';
import type { TokenRepository } from '../../tokens/token-repository.js';
import { roleAllows } from '../console/admin-roles.js';
import type { ApiTokens } from '../api-tokens.js';
import type { UserAdmin } from '../user-admin.js';
import { API_AUDIT_EVENT, apiTokenOf, authenticateApiToken } from './authenticate-token.js';
import { apiRoutes, type ApiRoute } from './api-routes.js';
import { openApiDocument } from './openapi.js';

export const ADMIN_API_PATH = '/admin/api/v1';

export interface AdminApiDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditApi;
  regulation: RegulationApi;
  logger: Logger;
  /** The help-desk operations (the console's instance, with its token repository). */
  userAdmin: UserAdmin;
  tokens: Pick<TokenRepository, 'list'>;
  apiTokens: ApiTokens;
  maxBodyBytes: number;
}

/** The host's error handler renders API errors with this: `{ "error": CODE, "detail"?: text }`. */
export function renderApiError(_req: Request, res: Response, status: number, messageKey: string, publicDetail?: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error: messageKey.replace(/^error\./, ''), ...(publicDetail ? { detail: publicDetail } : {}) });
}

/** The route's role check, then its handler; the reply is JSON or a CSV attachment. */
function handlerOf(route: ApiRoute, deps: AdminApiDeps): express.RequestHandler {
  return async (req, res) => {
    const token = apiTokenOf(res);
    if (!roleAllows(token.role, route.role)) {
      deps.logger.warn({ token: token.name, role: token.role, needs: route.role, path: req.path }, 'admin API: role refused');
      await deps.audit.record({ event: API_AUDIT_EVENT, result: 'denied', denyReason: 'FORBIDDEN', clientIp: req.ip, detail: JSON.stringify({ token: token.name, role: token.role, needs: route.role, method: req.method, path: req.path }) });
      throw new FactorgateError('FORBIDDEN', { detail: `token "${token.name}" (${token.role}) on a ${route.role} route`, publicDetail: `this route needs the ${route.role} role` });
    }
    const reply = await route.handle({ req, token, actor: { name: `api:${token.name}` } });
    res.set('Cache-Control', 'no-store');
    if ('csv' in reply) {
      res.type('text/csv; charset=utf-8').attachment(reply.filename).send(reply.csv);
      return;
    }
    res.status(reply.status ?? 200).json(reply.json);
  };
}

export function createAdminApiRouter(deps: AdminApiDeps): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(openApiDocument);
  });
  router.use(express.json({ limit: deps.maxBodyBytes }));
  router.use(authenticateApiToken({ tokens: deps.apiTokens, regulation: deps.regulation, audit: deps.audit, logger: deps.logger }));
  for (const route of apiRoutes({ db: deps.db, clock: deps.clock, users: deps.userAdmin, tokens: deps.tokens })) router[route.method](route.path, handlerOf(route, deps));
  router.use((req, _res, next) => {
    next(new FactorgateError('NOT_FOUND', { detail: `admin API: ${req.method} ${req.path}`, publicDetail: `no route ${req.method} ${req.path}` }));
  });
  return router;
}
