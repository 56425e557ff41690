import type { Kysely } from 'kysely';
import { pinDerivationRoot } from '../../keys/derivation-root.js';
import { migrateAdapters } from '../../store/adapter/adapter-migrations.js';
import { openStore } from '../../store/store.js';
import type { StartStep } from './start-context.js';

/** The store opens migrated, every registered adapter's own tables included, whether or not it is configured. */
export const openStoreStep: StartStep = async (ctx) => {
  const { config, logger } = ctx;
  const store = await openStore(
    config.store.driver === 'sqlite'
      ? {
          driver: 'sqlite',
          file: config.store.path!,
          // Checkpoints (two fsyncs each) on a worker thread, not inside the commit of a request.
          backgroundCheckpoints: true,
          onCheckpointError: (err) => logger.warn({ err }, 'the WAL checkpoint worker failed; checkpoints run on the request thread again'),
        }
      : {
          driver: 'postgres',
          connectionString: config.store.url,
          poolSize: config.store.poolSize,
          onConnectionError: (err) => logger.warn({ err }, 'an idle PostgreSQL connection failed; the pool opens a new one'),
        },
  );
  ctx.store = store;
  await migrateAdapters(store.db as Kysely<unknown>, ctx.registry.all);
  // Pairwise identifiers derive from a root kept in the store, so retiring the oldest key keeps them.
  await pinDerivationRoot(store.db, ctx.secrets, ctx.keys, ctx.clock);
  return () => store.close();
};
