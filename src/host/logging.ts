/**
 * The per-request access log, a lighter stand-in for `pino-http` with the same output. pino-http
 * builds a child logger per request (serialising and redacting `req` into its bindings) even when
 * the access-log line will never be written (`logging.level: warn` drops the `info` line of every
 * successful request). Here the request id and `X-Request-Id` header are set as before, `req.log`
 * is created only if something reads it, and the line at the end is serialised only when its level
 * is enabled. 4xx (warn) and 5xx (error) lines, and every other log and audit record, are unchanged.
 * `req.log`/`res.log` are one accessor on Express's shared prototypes: defining two accessors on
 * every request and response object cost ≈ 40 µs of CPU per request (bare Express app, 8 in flight).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Level, Logger } from 'pino';
import type {} from 'pino-http';

export interface RequestLoggerOptions {
  /** Redacts secrets from a URL before it is logged (query parameters such as SAMLRequest). */
  redactUrl: (url: string) => string;
  /** Requests whose completion is not logged (health checks, metrics scrapes). */
  ignore?: (req: IncomingMessage) => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

const QUIET = Symbol('factorgate.quietAccessLine');

/** This response's access line is left out: what went wrong is already logged elsewhere (an outage, once per interval). */
export function quietAccessLine(res: ServerResponse): void {
  (res as ServerResponse & { [QUIET]?: true })[QUIET] = true;
}

const LOG_STATE = Symbol('factorgate.requestLog');

type ReqLike = IncomingMessage & { id?: unknown; originalUrl?: string };

/** What one request's `log` is made from; the child logger is built at the first read. */
interface LogState {
  child: Logger | undefined;
  logger: Logger;
  req: ReqLike;
  serialiseReq: (req: ReqLike) => Record<string, unknown>;
  /** When the request came in (`performance.now()`, monotonic ms), for the line's responseTime. */
  startedAt: number;
  /** The access line is written (or left out: an ignored path); later events of the response change nothing. */
  logged: boolean;
}
type LogHolder = { [LOG_STATE]?: LogState; req?: LogHolder };

/** A request's log state, on the request only: a response reaches it through `res.req` (one property less to add to every response). */
function stateOf(holder: LogHolder): LogState | undefined {
  return holder[LOG_STATE] ?? holder.req?.[LOG_STATE];
}

function childLogger(state: LogState): Logger {
  return (state.child ??= state.logger.child({ req: state.serialiseReq(state.req) }));
}

/** The `log` accessor of a request or response that passed the request logger (undefined on one that did not). */
const LOG_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: LogHolder): Logger | undefined {
    const state = stateOf(this);
    return state ? childLogger(state) : undefined;
  },
  set(this: LogHolder, value: Logger) {
    const state = stateOf(this);
    if (state) state.child = value;
    else Object.defineProperty(this, 'log', { configurable: true, enumerable: true, writable: true, value });
  },
};

export function levelFor(statusCode: number, err?: unknown): Level {
  return err || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/**
 * The request logger as a request step (request-steps.ts). Per request: the id, the header, one
 * state object and two listeners of one shared function ('close', which a response emits after
 * 'finish' or when its connection is cut, and 'error'); no closure, no `off`.
 */
export function requestLogStep(logger: Logger, options: RequestLoggerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const serialiseReq = (req: ReqLike) => ({
    id: req.id,
    method: req.method,
    // Express strips a router's mount path from req.url inside it; the line names the full path.
    url: options.redactUrl(req.originalUrl ?? req.url ?? ''),
    remoteAddress: req.socket?.remoteAddress,
  });
  // `req.log` / `res.log` are accessors on Express's request and response prototypes (every app's
  // inherit from them), defined once: defining them on each request object cost more than the rest of this middleware.
  for (const proto of [express.request, express.response]) {
    if (Object.getOwnPropertyDescriptor(proto, 'log')?.get !== LOG_ACCESSOR.get) Object.defineProperty(proto, 'log', LOG_ACCESSOR);
  }
  // The access line, once per response: at 'close' (after 'finish', or when the connection is cut
  // first) or at an 'error' of the response, whichever comes first.
  function done(this: ServerResponse & LogHolder & { err?: unknown; [QUIET]?: true }, err?: unknown): void {
    const state = stateOf(this);
    if (!state || state.logged) return;
    state.logged = true;
    if (this[QUIET]) return;
    const failed = err ?? this.err;
    const level = levelFor(this.statusCode, failed);
    if (!logger.isLevelEnabled(level)) return;
    // Whole milliseconds, as before; measured on the monotonic clock, so a wall-clock step cannot make it negative.
    const responseTime = Math.round(performance.now() - state.startedAt);
    const fields: Record<string, unknown> = { res: { statusCode: this.statusCode }, responseTime };
    if (failed || this.statusCode >= 500) {
      fields.err = failed ?? new Error(`failed with status code ${this.statusCode}`);
      childLogger(state)[level](fields, 'request errored');
    } else if (!this.writableFinished) {
      childLogger(state)[level](fields, 'request aborted');
    } else {
      childLogger(state)[level](fields, 'request completed');
    }
  }
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    (req as ReqLike).id = id;
    const ignored = options.ignore?.(req) === true;
    const state: LogState = { child: undefined, logger, req, serialiseReq, startedAt: ignored ? 0 : performance.now(), logged: ignored };
    (req as LogHolder)[LOG_STATE] = state;
    if (ignored) return;
    res.on('close', done);
    res.on('error', done);
  };
}

/** The request logger as one middleware; used by tests only (the host runs `requestLogStep` as a request step). */
export function createRequestLogger(logger: Logger, options: RequestLoggerOptions): RequestHandler {
  const step = requestLogStep(logger, options);
  return (req, res, next) => {
    step(req, res);
    next();
  };
}
