/**
 * One worker of `server.workers > 1`: the whole host (createHost) on the shared port. It tells
 * the primary once it listens, answers the primary's metrics collections, and drains (stops
 * accepting, finishes in-flight requests, closes the store) when the primary asks, on SIGTERM or
 * SIGINT, or when the primary is gone (the IPC channel closed): a worker never outlives it.
 */
import type { LoadedConfig } from '../config/load.js';
import { createLogger } from '../../audit/logger.js';
import { createHost } from '../host.js';
import { WorkerMetricsLink } from './cluster-metrics.js';
import { asPrimaryMessage, type WorkerMessage } from './messages.js';
import type { WorkerRole } from './worker-role.js';

export async function runWorker(loaded: LoadedConfig, place: { slot: number; count: number }): Promise<void> {
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };
  const metrics = new WorkerMetricsLink(send);
  const role: WorkerRole = { ...place, runsHostWideTasks: place.slot === 1, collectMetrics: () => metrics.collect() };
  const logger = createLogger({ level: loaded.host.logging.level }).child({ worker: place.slot });
  const host = await createHost({ loaded, adapters: loaded.definitions, logger, worker: role });
  metrics.registry = host.metrics.registry;

  let drained: Promise<void> | undefined;
  const finished = new Promise<void>((resolve) => {
    const drain = (why: string) => {
      drained ??= (async () => {
        logger.info({ why }, 'worker draining');
        await host.close().catch((err: unknown) => logger.error({ err }, 'worker shutdown failed'));
        resolve();
      })();
    };
    process.on('message', (raw: unknown) => {
      const message = asPrimaryMessage(raw);
      if (message?.fg === 'drain') drain('asked by the primary');
      else if (message) void metrics.handle(message);
    });
    process.once('SIGTERM', () => drain('SIGTERM'));
    process.once('SIGINT', () => drain('SIGINT'));
    process.once('disconnect', () => drain('the primary is gone'));
  });

  const { url } = await host.listen();
  send({ fg: 'ready', url, links: host.links() });
  await finished;
  // The open IPC channel alone would keep the process alive.
  if (process.connected) process.disconnect();
}
