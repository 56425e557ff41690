import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { redactUrl } from '../../audit/logger.js';
import { FactorgateError } from '../../kit/errors.js';
import { metricsEndpoint } from '../../kit/metrics.js';
import { isStoreOutage } from '../../store/store-outage.js';
import { quietAccessLine, requestLogStep } from '../logging.js';
import { OutageLog } from '../outage-log.js';
import { requestSteps } from '../request-steps.js';
import { hostHelmetOptions, precomputedHeadersStep } from '../security-headers.js';
import type { Readiness, StartStep } from './start-context.js';

/** Every request passes the same headers, request log and metrics; /healthz, /readyz and /metrics answer before any route. */
export const buildApp: StartStep = (ctx) => {
  const { config, logger, clock, instances, metrics, store, directory } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustedProxies.length > 0 ? config.server.trustedProxies : false);
  // helmet's answer for these static options, computed once (security-headers.ts): same headers, one step per request.
  const securityHeaders = precomputedHeadersStep(helmet(hostHelmetOptions({ secure: ctx.cookies.secure, logoUrl: config.branding.logoUrl })));
  const requestLog = requestLogStep(logger, { redactUrl, ignore: (req) => req.url === '/healthz' || req.url === '/metrics' });
  const interceptedByAdapter = (req: IncomingMessage, res: ServerResponse): boolean => {
    for (const inst of instances.values()) if (inst.interceptRequest?.(req, res)) return true;
    return false;
  };
  // Every request, in this order, as one router layer (request-steps.ts): adapters that route by
  // Host name see it before the headers and the host's routes; then the security headers, the
  // request id and access log, the request's duration metric.
  app.use(
    requestSteps([
      interceptedByAdapter,
      securityHeaders,
      requestLog,
      metrics.requestStep,
    ]),
  );
  ctx.securityHeaders = securityHeaders;
  ctx.requestLog = requestLog;

  const outages = new OutageLog(logger, clock, config.logging.outageIntervalSeconds * 1000);
  ctx.outages = outages;
  ctx.readiness = async (): Promise<Readiness> => {
    const checks: Record<string, string> = {};
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (err) {
        const outage = !(err instanceof FactorgateError) && isStoreOutage(err);
        checks[name] = err instanceof FactorgateError ? err.code : outage ? 'STORE_UNAVAILABLE' : 'error';
        if (outage) outages.refused('store', { check: name, err }, 'the store is unavailable: readiness fails');
        else logger.warn({ check: name, err }, 'readiness check failed');
      }
    };
    await probe('store', () => store.ping());
    await probe('directory', () => directory.ping());
    for (const [name, inst] of instances) if (inst.ready) await probe(`adapter:${name}`, () => inst.ready!());
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  };

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await ctx.readiness();
    // A store outage is logged once per interval by the probe; the access line would repeat it.
    if (r.checks.store === 'STORE_UNAVAILABLE') quietAccessLine(res);
    res.status(r.ok ? 200 : 503).set('Cache-Control', 'no-store').json({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
  });
  // Among workers, a scrape reaches one of them: it answers the sum over all (src/host/cluster).
  const worker = ctx.worker;
  app.get('/metrics', metricsEndpoint(metrics, { bearerToken: config.metrics.bearerToken, logger, ...(worker ? { collect: () => worker.collectMetrics() } : {}) }));
  // Adapters' routes (load-adapters fills this) come before the host's pages and the console: an
  // adapter's mount path never overlaps the host's paths (RESERVED_PATHS, checked at
  // registration), so the order changes no answer, and an SSO request no longer walks the host's
  // own router (about 40 routes) before reaching its adapter.
  ctx.adapterRoutes = express.Router();
  app.use(ctx.adapterRoutes);
  ctx.app = app;
};
