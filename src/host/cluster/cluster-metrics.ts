/**
 * /metrics with several workers: each worker counts only the requests it served, so the worker
 * that receives a scrape asks the primary, the primary asks every live worker for its registry
 * (prom-client JSON) and answers with the sum (prom-client's AggregatorRegistry.aggregate: counters
 * and histograms summed, per-process facts such as the start time kept once). A worker that does
 * not answer in time (it is being replaced) is left out; `factorgate_workers_reporting` says how
 * many were summed.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';
import type { MetricsPartMessage, PrimaryMessage, WorkerMessage } from './messages.js';

/** How long the primary waits for the workers' parts of one scrape. */
const COLLECT_TIMEOUT_MS = 2_000;

interface Collection {
  parts: unknown[][];
  waiting: Set<number>;
  finish: () => void;
}

/** The primary's side: sums the workers' registries for one scrape. */
export class MetricsSummer {
  #next = 1;
  readonly #collections = new Map<number, Collection>();

  constructor(private readonly configuredWorkers: number) {}

  /** Asks every connected worker for its registry; resolves with the sum in the Prometheus text format. */
  sum(workers: readonly Worker[]): Promise<string> {
    const id = this.#next++;
    const live = workers.filter((w) => w.isConnected());
    return new Promise<string>((resolve) => {
      const collection: Collection = {
        parts: [],
        waiting: new Set(live.map((w) => w.id)),
        finish: () => {
          clearTimeout(timer);
          this.#collections.delete(id);
          void this.#render(collection.parts).then(resolve);
        },
      };
      const timer = setTimeout(collection.finish, COLLECT_TIMEOUT_MS);
      this.#collections.set(id, collection);
      const ask: PrimaryMessage = { fg: 'metrics-collect', id };
      for (const w of live) w.send(ask);
      if (collection.waiting.size === 0) collection.finish();
    });
  }

  /** A worker's part of a collection arrived. */
  part(worker: Worker, message: MetricsPartMessage): void {
    const collection = this.#collections.get(message.id);
    if (!collection?.waiting.delete(worker.id)) return;
    collection.parts.push(message.metrics);
    if (collection.waiting.size === 0) collection.finish();
  }

  async #render(parts: unknown[][]): Promise<string> {
    const summed: Registry = AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    new Gauge({ name: 'factorgate_workers', help: 'Worker processes configured (server.workers).', registers: [summed] }).set(this.configuredWorkers);
    new Gauge({ name: 'factorgate_workers_reporting', help: 'Workers whose metrics this scrape summed.', registers: [summed] }).set(parts.length);
    return summed.metrics();
  }
}

/** The worker's side: answers the primary's collections with its own registry, and asks for the sum. */
export class WorkerMetricsLink {
  #next = 1;
  readonly #waiting = new Map<number, (text: string) => void>();

  constructor(
    private readonly send: (message: WorkerMessage) => void,
    private readonly timeoutMs = COLLECT_TIMEOUT_MS * 2,
  ) {}

  /** The registry this worker's host counts in (set once the host is built). */
  registry: Registry | null = null;

  /** What /metrics answers: the primary's sum over every worker. */
  collect(): Promise<string> {
    const id = this.#next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error('the primary did not answer the metrics collection'));
      }, this.timeoutMs);
      this.#waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      this.send({ fg: 'metrics-wanted', id });
    });
  }

  /** Handles the primary's messages about metrics; returns false for any other message. */
  async handle(message: PrimaryMessage): Promise<boolean> {
    if (message.fg === 'metrics-collect') {
      const metrics = this.registry ? await this.registry.getMetricsAsJSON() : [];
      this.send({ fg: 'metrics-part', id: message.id, metrics });
      return true;
    }
    if (message.fg === 'metrics-sum') {
      const done = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      done?.(message.text);
      return true;
    }
    return false;
  }
}
