/**
 * The admin API's first step: a bearer token (RFC 6750 §2.1) that is known and not revoked.
 * Every try, good or bad, goes through regulation against the client address first, so
 * guessing tokens from one address is refused (429) after `regulation.client.maxFailures`
 * failures like a password spray; every refusal is logged and audited (`admin-api`, denied,
 * with the reason) and answered 401 with one neutral message. The token is never logged.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuditApi, RegulationApi } from '../../api/host-api.js';
import { FactorgateError } from '../../kit/errors.js';
import type { ApiTokenIdentity, ApiTokens } from '../api-tokens.js';

export const API_AUDIT_EVENT = 'admin-api';
const CHALLENGE = 'Bearer realm="factorgate admin API"';

export interface AuthenticateDeps {
  tokens: ApiTokens;
  regulation: RegulationApi;
  audit: AuditApi;
  logger: Logger;
}

/** The token a request was authenticated with (set by `authenticateApiToken`). */
export function apiTokenOf(res: Response): ApiTokenIdentity {
  const token = (res.locals as { apiToken?: ApiTokenIdentity }).apiToken;
  if (!token) throw new FactorgateError('UNAUTHORIZED', { detail: 'route reached without an authenticated API token' });
  return token;
}

function bearer(req: Request): string | null {
  const header = req.get('authorization');
  if (header === undefined) return null;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : '';
}

export function authenticateApiToken(deps: AuthenticateDeps): RequestHandler {
  return async (req, res, next) => {
    const clientIp = req.ip;
    const attempt = await deps.regulation.admit({ username: null, clientIp, event: API_AUDIT_EVENT, adapter: API_AUDIT_EVENT });
    if (!attempt.admitted) {
      res.set('Retry-After', String(attempt.retryAfterSeconds));
      throw new FactorgateError('RATE_LIMITED', { detail: `admin API: client ${clientIp ?? '?'} refused after too many bad tokens`, publicDetail: 'too many failed attempts; try again later' });
    }
    const presented = bearer(req);
    const check = presented ? await deps.tokens.check(presented) : ({ ok: false, reason: presented === null ? 'MISSING' : 'MALFORMED' } as const);
    if (!check.ok) {
      await attempt.failed();
      const named = 'name' in check && check.name ? { token: check.name } : {};
      deps.logger.warn({ clientIp, reason: check.reason, ...named, path: req.path }, `admin API: token refused (${check.reason})`);
      await deps.audit.record({ event: API_AUDIT_EVENT, result: 'denied', denyReason: `TOKEN_${check.reason}`, clientIp, detail: JSON.stringify({ method: req.method, path: req.path, ...named }) });
      res.set('WWW-Authenticate', CHALLENGE);
      throw new FactorgateError('UNAUTHORIZED', { detail: `admin API token ${check.reason.toLowerCase()}`, publicDetail: 'a valid API token is required (Authorization: Bearer <token>)' });
    }
    await attempt.succeeded();
    (res.locals as { apiToken?: ApiTokenIdentity }).apiToken = check.token;
    next();
  };
}
