/**
 * The one place errors become responses. Domain errors map to their status and a page in the
 * user's language (or JSON for API callers); anything else is a 500 with a generic page. The
 * log gets the code, the private detail and, for unexpected errors, the stack; the user never
 * sees a stack trace or an internal message.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import type {} from 'pino-http';
import { FactorgateError, isFactorgateError, type ErrorCode } from '../kit/errors.js';
import { isStoreOutage } from '../store/store-outage.js';
import { quietAccessLine } from './logging.js';
import type { OutageLog } from './outage-log.js';

export type ErrorPageRenderer = (req: Request, res: Response, status: number, messageKey: string, publicDetail?: string) => void;

/** Errors thrown by Express's body parsers and friends carry a `type` or `status`. */
function fromFrameworkError(err: unknown): FactorgateError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e.type === 'entity.too.large') return new FactorgateError('PAYLOAD_TOO_LARGE', { detail: e.message, cause: err });
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new FactorgateError('BAD_REQUEST', { detail: `${e.type ?? 'request'}: ${e.message ?? ''}`, cause: err, status });
  }
  return null;
}

export function wantsJson(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * A store that cannot be used right now (PostgreSQL down, SQLite locked past its busy timeout)
 * is an outage, not a bug: 503 "temporarily unavailable", however the error reached here (raw
 * from the driver, or wrapped as the cause of a 5xx domain error).
 */
function fromStoreOutage(err: unknown): FactorgateError | null {
  // A domain error that already names its outage (the directory's, a busy gate) keeps its own
  // page: its cause may be a network error too, but the store is not the one down.
  if (isFactorgateError(err) && err.code !== 'STORE_ERROR' && err.code !== 'INTERNAL') return null;
  if (!isStoreOutage(err)) return null;
  const cause = isFactorgateError(err) ? err.cause : err;
  return new FactorgateError('STORE_UNAVAILABLE', { detail: cause instanceof Error ? cause.message : String(cause), cause });
}

export function createErrorHandler(logger: Logger, renderPage: ErrorPageRenderer, outages?: OutageLog): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      logger.error({ err, reqId: req.id }, 'error after the response started');
      next(err);
      return;
    }
    const domain = fromStoreOutage(err) ?? (isFactorgateError(err) ? err : fromFrameworkError(err));
    const code: ErrorCode = domain?.code ?? 'INTERNAL';
    const status = domain?.status ?? 500;
    const log = req.log ?? logger;
    if (code === 'STORE_UNAVAILABLE' && outages) {
      // Once per interval for the whole host, not a line (and a stack) per request.
      quietAccessLine(res);
      outages.refused('store', { code, detail: domain?.detail, err: domain?.cause }, 'the store is unavailable: requests answer 503');
    } else if (status >= 500 && !domain) log.error({ err, code }, 'unexpected error');
    else log.warn({ code, status, detail: domain?.detail, ...(status >= 500 ? { err: domain?.cause } : {}) }, `request refused: ${code}`);
    if (status === 503) res.set('Retry-After', '30');
    const publicDetail = domain?.expose ? domain.publicDetail : undefined;
    if (wantsJson(req)) {
      res.status(status).json({ error: code, ...(publicDetail ? { detail: publicDetail } : {}) });
      return;
    }
    renderPage(req, res, status, `error.${code}`, publicDetail);
  };
}
