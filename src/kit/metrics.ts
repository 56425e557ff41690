/**
 * Prometheus metrics (prom-client), one registry per host so several hosts can share a process.
 * Every label value comes from a closed set (route templates, method kinds, reason codes), never
 * from a request, so no one can create series by sending requests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the challenge engine and the senders report; each call site is one line. */
export interface ChallengeMetrics {
  /** One verification attempt: `reason` is the refusal code, '' on success. */
  attempt(method: string, result: 'success' | 'failure', reason: string): void;
  /** A challenge ended in denial (EXPIRED, LOCKED, USER_DISABLED, NO_FACTOR). */
  denied(reason: string): void;
  /** A code sent (or not) by sms, voice or email; `reason` is the refusal code, '' when sent. */
  delivery(channel: string, result: 'sent' | 'failed', reason: string): void;
  /** A user's consecutive failures reached the limit and locked the account. */
  lockout(): void;
  /** A verified challenge: seconds from its start to the decision. */
  verified(seconds: number): void;
}

export interface HostMetrics {
  registry: Registry;
  /** Times every request into the duration histogram; a request step (src/host/request-steps.ts). */
  requestStep: (req: Request, res: Response) => void;
  authentications: Counter<'adapter' | 'result'>;
  challenge: ChallengeMetrics;
  /** Labels the routes of a router about to be mounted at `mountPath` with their full template (call once its routes are declared). */
  labelMounted(router: RequestHandler, mountPath: string): void;
}

/** The label of a request that matched no route template (unknown paths, static files, 404s). */
export const UNMATCHED = 'unmatched';

/** The mount path of a route's router, on the route itself (`labelMounted`): nothing to do per request. */
const MOUNT = Symbol('factorgate.metricsMount');
type LabelledRoute = { path?: unknown; [MOUNT]?: string };
/** What `labelMounted` reads of an Express router: its layers, each a route or a handler (maybe a nested router). */
type RouterStack = { stack?: readonly { route?: LabelledRoute; handle?: unknown }[] };

/**
 * The matched route's template (`/mfa/:challengeId`, `/saml/idp/sso`), or `unmatched`. Express
 * clears `req.baseUrl` when a router passes an error on, so the mount path is not read from the
 * request at the end: `labelMounted` put it on the route when its router was mounted.
 */
export function routeLabel(req: Request): string {
  const route = (req as { route?: LabelledRoute }).route;
  if (typeof route?.path !== 'string') return UNMATCHED;
  return `${route[MOUNT] ?? ''}${route.path}`;
}

/** Puts `prefix` on every route of `router` and of the routers nested in it (their own mount paths are not part of the label, as before). */
function labelRoutes(router: RouterStack, prefix: string, seen: Set<RouterStack>): void {
  if (seen.has(router)) return;
  seen.add(router);
  for (const layer of router.stack ?? []) {
    if (layer.route) layer.route[MOUNT] = prefix;
    else if (typeof layer.handle === 'function' && Array.isArray((layer.handle as RouterStack).stack)) labelRoutes(layer.handle as RouterStack, prefix, seen);
  }
}

export function createMetrics(): HostMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const duration = new Histogram({
    name: 'factorgate_http_request_duration_seconds',
    help: 'HTTP request duration by matched route template (unmatched for any other path) and status class.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const authentications = new Counter({
    name: 'factorgate_authentications_total',
    help: 'Completed second-factor challenges by adapter and result.',
    labelNames: ['adapter', 'result'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'factorgate_challenge_attempts_total',
    help: 'Second-factor verification attempts by method, result and refusal reason (MISMATCH, REPLAY, …; empty on success).',
    labelNames: ['method', 'result', 'reason'] as const,
    registers,
  });
  const denials = new Counter({
    name: 'factorgate_challenge_denials_total',
    help: 'Challenges that ended in denial, by reason (EXPIRED, LOCKED, USER_DISABLED, NO_FACTOR).',
    labelNames: ['reason'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'factorgate_code_deliveries_total',
    help: 'One-time codes sent by channel (sms, voice, email) and result, with the refusal reason when not sent.',
    labelNames: ['channel', 'result', 'reason'] as const,
    registers,
  });
  const lockouts = new Counter({
    name: 'factorgate_lockouts_total',
    help: 'Accounts locked after too many consecutive failed second-factor attempts.',
    registers,
  });
  const timeToVerify = new Histogram({
    name: 'factorgate_challenge_time_to_verify_seconds',
    help: 'Time from the start of a challenge to its successful verification.',
    buckets: [2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers,
  });
  // One closure per request holding its start time: adding a property to Node's response object
  // instead allocates more (≈ 1.6 KB per request, bench/README "The request floor"). 'close' follows
  // 'finish' (a completed response) or a cut connection; only completed responses count.
  const requestStep = (_req: Request, res: Response): void => {
    const started = performance.now();
    res.on('close', () => {
      if (res.writableFinished) duration.observe({ route: routeLabel(res.req), status: `${Math.floor(res.statusCode / 100)}xx` }, (performance.now() - started) / 1000);
    });
  };
  const challenge: ChallengeMetrics = {
    attempt: (method, result, reason) => attempts.inc({ method, result, reason }),
    denied: (reason) => denials.inc({ reason }),
    delivery: (channel, result, reason) => deliveries.inc({ channel, result, reason }),
    lockout: () => lockouts.inc(),
    verified: (seconds) => timeToVerify.observe(Math.max(0, seconds)),
  };
  const labelMounted = (router: RequestHandler, mountPath: string): void => {
    labelRoutes(router as unknown as RouterStack, mountPath === '/' ? '' : mountPath.replace(/\/$/, ''), new Set());
  };
  return { registry, requestStep, authentications, challenge, labelMounted };
}

/**
 * GET /metrics. With a bearer token configured, a scrape without `Authorization: Bearer <token>`
 * gets 401 (RFC 6750 §3) and a log line; the token is compared in constant time over digests,
 * so neither its content nor its length leaks through timing. `collect` replaces this registry's
 * text (several workers: their sum); when it fails the scrape gets 503 and a log line.
 */
export function metricsEndpoint(metrics: HostMetrics, opts: { bearerToken?: string | undefined; logger: Logger; collect?: () => Promise<string> }): RequestHandler {
  const collect = opts.collect ?? (() => metrics.registry.metrics());
  const expected = opts.bearerToken === undefined ? null : createHash('sha256').update(opts.bearerToken).digest();
  return async (req, res) => {
    if (expected !== null) {
      const m = /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '');
      const given = m ? createHash('sha256').update(m[1]!).digest() : null;
      if (given === null || !timingSafeEqual(given, expected)) {
        opts.logger.warn({ clientIp: req.ip, reason: given === null ? 'no bearer token' : 'wrong bearer token' }, 'metrics scrape refused');
        res
          .status(401)
          .set('WWW-Authenticate', `Bearer realm="metrics"${given === null ? '' : ', error="invalid_token"'}`)
          .set('Cache-Control', 'no-store')
          .type('text/plain')
          .send('unauthorized\n');
        return;
      }
    }
    let text: string;
    try {
      text = await collect();
    } catch (err) {
      opts.logger.warn({ err }, 'metrics could not be collected');
      res.status(503).set('Cache-Control', 'no-store').type('text/plain').send('metrics unavailable\n');
      return;
    }
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
  };
}
