/** Prometheus metrics (prom-client), one registry per host so several hosts can share a process. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';

export interface HostMetrics {
  registry: Registry;
  middleware: RequestHandler;
  authentications: Counter<'adapter' | 'result'>;
}

/**
 * The first path segment only: ids in paths would explode the label cardinality. Read straight
 * off the raw URL (no URL parsing on every request); an absolute-form request target falls back
 * to Express's parsed path.
 */
export function routeGroup(url: string, parsedPath: () => string): string {
  if (url.charCodeAt(0) !== 47 /* / */) return `/${parsedPath().split('/')[1] ?? ''}`;
  let end = 1;
  for (; end < url.length; end++) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
  }
  return url.slice(0, end);
}

export function createMetrics(): HostMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'factorgate_http_request_duration_seconds',
    help: 'HTTP request duration by route group and status class.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const authentications = new Counter({
    name: 'factorgate_authentications_total',
    help: 'Completed second-factor challenges by adapter and result.',
    labelNames: ['adapter', 'result'] as const,
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      end({ route: routeGroup(req.originalUrl, () => req.path), status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
  return { registry, middleware, authentications };
}
