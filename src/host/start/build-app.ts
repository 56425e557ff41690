import express from 'express';
import helmet from 'helmet';
import { redactUrl } from '../../audit/logger.js';
import { FactorgateError } from '../../kit/errors.js';
import { metricsEndpoint } from '../../kit/metrics.js';
import { isStoreOutage } from '../../store/store-outage.js';
import { createRequestLogger, quietAccessLine } from '../logging.js';
import { OutageLog } from '../outage-log.js';
import { hostHelmetOptions, precomputedHeaders } from '../security-headers.js';
import type { Readiness, StartStep } from './start-context.js';

/** Every request passes the same headers, request log and metrics; /healthz, /readyz and /metrics answer before any route. */
export const buildApp: StartStep = (ctx) => {
  const { config, logger, clock, instances, metrics, store, directory } = ctx;
  const app = express();
  app.disable('x-powered-by');
  // Adapters that route by Host name see requests before helmet and the host's routes.
  app.use((req, res, next) => {
    for (const inst of instances.values()) if (inst.interceptRequest?.(req, res)) return;
    next();
  });
  app.set('trust proxy', config.server.trustedProxies.length > 0 ? config.server.trustedProxies : false);
  // helmet's answer for these static options, computed once (security-headers.ts): same headers, one step per request.
  ctx.securityHeaders = precomputedHeaders(helmet(hostHelmetOptions({ secure: ctx.cookies.secure, logoUrl: config.branding.logoUrl })));
  ctx.requestLog = createRequestLogger(logger, { redactUrl, ignore: (req) => req.url === '/healthz' || req.url === '/metrics' });
  app.use(ctx.securityHeaders);
  app.use(ctx.requestLog);
  app.use(metrics.middleware);

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
