import express from 'express';
import type { Kysely } from 'kysely';
import { adapterHostApi } from '../adapter-host-api.js';
import { CORE_EXPIRY } from '../sweep-expired.js';
import type { StartStep } from './start-context.js';

/** Each configured adapter is created with its own view of the host (its tables, state and secrets; no internals) and mounted under its own path only. */
export const loadAdapters: StartStep = async (ctx) => {
  const { store, clock, logger, adapterRoutes, metrics, loaded } = ctx;
  // What the sweep deletes: the core's declared tables, then each running adapter's `expiry`.
  ctx.sweepTargets = [{ owner: 'core', db: store.db, rules: CORE_EXPIRY }];
  const created: string[] = [];
  for (const def of ctx.registry.all) {
    if (!loaded.adapters.has(def.name)) continue;
    const view = adapterHostApi(def, { shared: ctx.shared, storeDb: store.db, ring: ctx.keys, hostBox: ctx.secrets, clock });
    if (def.expiry?.length) ctx.sweepTargets.push({ owner: def.name, db: view.db as Kysely<unknown>, rules: def.expiry });
    const instance = await def.create(view, loaded.adapters.get(def.name));
    ctx.instances.set(def.name, instance);
    created.push(def.name);
    if (instance.routes) {
      const router = express.Router();
      instance.routes(router);
      metrics.labelMounted(router, def.mountPath);
      adapterRoutes.use(def.mountPath, router);
    }
    logger.info({ adapter: def.name, mountPath: def.mountPath }, 'adapter loaded');
  }
  return async () => {
    for (const name of created) await ctx.instances.get(name)?.close?.().catch((err: unknown) => logger.warn({ err }, 'adapter close failed'));
  };
};
