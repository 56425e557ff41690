/**
 * Pass-through to the upstream app with http-proxy-3 (a maintained fork of http-proxy): the
 * library streams bodies both ways and splices WebSocket upgrades; this file only decides
 * which headers cross the boundary and what a failure looks like. Imports no host internals.
 */
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ProxyServer } from 'http-proxy-3';
import {
  dropHopByHop,
  rewriteLocation,
  rewriteSetCookie,
  sanitizeForwarded,
  setCookieList,
  stripCookies,
  type OriginRewrite,
  type TrustedProxies,
} from './header-hygiene.js';

export interface PassThroughOptions {
  upstream: URL;
  /** The origin browsers use for this app (known once its listener is bound). */
  publicOrigin: () => string;
  /** Domain for the app's cookies when the app names its own host ('' = host-only). */
  cookieDomain: string;
  trustedProxies: TrustedProxies;
  /** factorgate's cookies, never sent to the app. */
  ownCookies: readonly string[];
  proxyTimeoutMs: number;
  /** Called when the upstream cannot be reached or fails mid-request; never throws. */
  onUpstreamError(err: Error, req: IncomingMessage, target: ServerResponse | Socket): void;
  /** Called when the upstream closed its reply before the end. */
  onTruncatedReply?(req: IncomingMessage): void;
}

/** What one reply looked like when it came back, for the caller to inspect or hold. */
export type ReplyInspector = (reply: IncomingMessage, req: IncomingMessage) => void;

export interface PassThrough {
  /** Streams a request to the app and its reply back. `body` replaces an already-read body. */
  web(req: IncomingMessage, res: ServerResponse, options?: { body?: Buffer; inspect?: ReplyInspector }): void;
  /** Sends a request whose body was already read and hands back the raw reply, unwritten. */
  fetch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<IncomingMessage>;
  /** Splices a WebSocket upgrade (RFC 6455 §4) through to the app. */
  ws(req: IncomingMessage, socket: Socket, head: Buffer): void;
  close(): void;
}

const REDIRECT_OR_CREATED = new Set([201, 301, 302, 303, 307, 308]);

/**
 * How long an idle upstream connection stays pooled: under the 5 s keep-alive timeout of Node's
 * and Apache's servers, so the pool drops a connection before the app does. Node's agent keeps
 * idle sockets forever unless told (it only shortens a timeout it was given to the server's
 * `Keep-Alive: timeout=` hint, and the proxy drops that hop-by-hop header anyway).
 */
const UPSTREAM_IDLE_MS = 4000;

/** The X-Forwarded-* headers http-proxy-3 appends to (`xfwd`) on every try. */
const FORWARDED_BY_LIBRARY = ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host'] as const;

/**
 * What the pass-through keeps on an incoming request while it is in flight: properties under
 * private symbols, which die with the request (no WeakMap entries per request).
 */
const OUTGOING = Symbol('forms-proxy.outgoing');
const INSPECT = Symbol('forms-proxy.inspect');
const FETCHED = Symbol('forms-proxy.fetched');
interface Tracked extends IncomingMessage {
  /** The outgoing request (to tell a reused connection's failure). */
  [OUTGOING]?: ClientRequest;
  /** Looks at the reply before its headers are copied. */
  [INSPECT]?: ReplyInspector;
  /** The caller reads the reply itself (`fetch`) and handles a cut reply too. */
  [FETCHED]?: boolean;
}

/** Errors of a pooled connection the app closed while the request was being sent. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

/** Whether a request can be sent again as it was: no body, or a body already read here. */
function replayable(req: IncomingMessage, body: Buffer | undefined): boolean {
  if (body) return true;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

export function createPassThrough(options: PassThroughOptions): PassThrough {
  const isHttps = options.upstream.protocol === 'https:';
  // Keep-alive to the upstream: a new TCP connection per request would dominate the latency.
  const agentOptions = { keepAlive: true, maxSockets: 256, timeout: UPSTREAM_IDLE_MS };
  const agent = isHttps ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const proxy = new ProxyServer({
    // A URL, not its text: the library parses a string target again for every request.
    target: new URL(options.upstream.origin),
    agent,
    xfwd: true,
    changeOrigin: true,
    proxyTimeout: options.proxyTimeoutMs,
    secure: true,
  });
  const upstreamHost = options.upstream.hostname;
  proxy.on('proxyReq', (proxyReq, req) => {
    (req as Tracked)[OUTGOING] = proxyReq;
  });

  const rewrite = (): OriginRewrite => ({
    upstreamOrigin: options.upstream.origin,
    publicOrigin: options.publicOrigin(),
    cookieDomain: options.cookieDomain,
  });

  // Runs before the library copies the reply headers, for streamed and held replies alike.
  proxy.on('proxyRes', (reply, req, res) => {
    // An app that dies mid-reply leaves the browser waiting forever unless the cut is passed
    // on: the truncated response is ended abruptly, as the app ended it.
    const tracked = req as Tracked;
    reply.once('close', () => {
      if (!reply.complete && !res.destroyed && !tracked[FETCHED]) {
        options.onTruncatedReply?.(req);
        res.destroy();
      }
    });
    const h = reply.headers;
    dropHopByHop(h);
    const location = typeof h.location === 'string' && REDIRECT_OR_CREATED.has(reply.statusCode ?? 0);
    if (location || h['set-cookie']) {
      const r = rewrite();
      if (r.upstreamOrigin !== r.publicOrigin) {
        if (location) h.location = rewriteLocation(h.location as string, r);
        if (h['set-cookie']) h['set-cookie'] = setCookieList(h['set-cookie']).map((c) => rewriteSetCookie(c, upstreamHost, r));
      }
    }
    tracked[INSPECT]?.(reply, req);
  });

  // A refused connection must never crash the process: the library reports it here when no
  // per-call callback took it.
  proxy.on('error', (err, req, target) => {
    options.onUpstreamError(err, req, target as ServerResponse | Socket);
  });

  const prepare = (req: IncomingMessage, upgrade: boolean): void => {
    dropHopByHop(req.headers, { keepUpgrade: upgrade });
    sanitizeForwarded(req.headers, options.trustedProxies.trusts(req.socket.remoteAddress));
    stripCookies(req.headers, options.ownCookies);
  };

  const onError = (err: Error, req: IncomingMessage, target: ServerResponse | Socket): void => {
    options.onUpstreamError(err, req, target);
  };

  /**
   * Sends a prepared request upstream. A pooled connection the app closed just as it was reused
   * (its keep-alive timeout and our reuse crossing) fails with ECONNRESET before any reply; the
   * request never reached the app, so it is sent once more on a fresh connection when it can be
   * replayed (RFC 9112 §9.3.1), with the headers it had before the first try. Anything else, or
   * a second failure, goes to `fail`.
   */
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, extra: { selfHandleResponse?: boolean }, fail: (err: Error) => void): void => {
    // The library appends to X-Forwarded-* on each try; a second try starts from these.
    const forwarded = FORWARDED_BY_LIBRARY.map((name) => req.headers[name]);
    const attempt = (retried: boolean): void => {
      const source = body ? { buffer: Readable.from([body]) } : retried ? { buffer: Readable.from([]) } : undefined;
      const callOptions = source ? { ...source, ...extra } : extra;
      proxy.web(req, res, callOptions, ((err: Error) => {
        const stale = STALE_CONNECTION.has((err as NodeJS.ErrnoException).code ?? '') && (req as Tracked)[OUTGOING]?.reusedSocket === true;
        if (!retried && stale && !res.headersSent && !req.socket.destroyed && replayable(req, body)) {
          FORWARDED_BY_LIBRARY.forEach((name, i) => {
            if (forwarded[i] === undefined) delete req.headers[name];
            else req.headers[name] = forwarded[i];
          });
          attempt(true);
          return;
        }
        fail(err);
      }) as never);
    };
    attempt(false);
  };

  return {
    web(req, res, opts = {}) {
      prepare(req, false);
      if (opts.inspect) (req as Tracked)[INSPECT] = opts.inspect;
      if (opts.body) {
        // The body was consumed here; the app gets exactly those bytes, freshly framed (and
        // with no `Expect: 100-continue` left to wait on, RFC 9110 §10.1.1).
        delete req.headers['transfer-encoding'];
        delete req.headers.expect;
        req.headers['content-length'] = String(opts.body.length);
      }
      forward(req, res, opts.body, {}, (err) => onError(err, req, res));
    },
    fetch(req, res, body) {
      prepare(req, false);
      delete req.headers['transfer-encoding'];
      delete req.headers.expect;
      req.headers['content-length'] = String(body.length);
      const tracked = req as Tracked;
      tracked[FETCHED] = true;
      return new Promise((resolve, reject) => {
        tracked[INSPECT] = (reply) => resolve(reply);
        forward(req, res, body, { selfHandleResponse: true }, reject);
      });
    },
    ws(req, socket, head) {
      prepare(req, true);
      proxy.ws(req, socket, head, {}, onError as never);
    },
    close() {
      agent.destroy();
      proxy.close();
    },
  };
}
