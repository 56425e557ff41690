/**
 * The messages between the primary and its workers over the cluster IPC channel. Every message
 * carries `fg` (its kind), so messages of other libraries on the channel are told apart; what
 * arrives is checked by shape before it is used.
 */
import type { AdapterLink } from '../../api/host-api.js';

/** Worker → primary: it listens (sent once per worker). */
export interface ReadyMessage {
  fg: 'ready';
  url: string;
  links: AdapterLink[];
}
/** Primary → worker: finish in-flight requests, close, exit. */
export interface DrainMessage {
  fg: 'drain';
}
/** Worker → primary: a /metrics scrape arrived; `id` pairs the answer with it. */
export interface MetricsWantedMessage {
  fg: 'metrics-wanted';
  id: number;
}
/** Primary → every worker: send your own registry (`id` is the primary's collection). */
export interface MetricsCollectMessage {
  fg: 'metrics-collect';
  id: number;
}
/** Worker → primary: this worker's registry as prom-client JSON. */
export interface MetricsPartMessage {
  fg: 'metrics-part';
  id: number;
  metrics: unknown[];
}
/** Primary → the asking worker: the sum, in the Prometheus text format. */
export interface MetricsSumMessage {
  fg: 'metrics-sum';
  id: number;
  text: string;
}

export type WorkerMessage = ReadyMessage | MetricsWantedMessage | MetricsPartMessage;
export type PrimaryMessage = DrainMessage | MetricsCollectMessage | MetricsSumMessage;

const isRecord = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

/** A message from a worker, or null for anything else on the channel. */
export function asWorkerMessage(m: unknown): WorkerMessage | null {
  if (!isRecord(m)) return null;
  switch (m.fg) {
    case 'ready':
      return typeof m.url === 'string' && Array.isArray(m.links) ? (m as unknown as ReadyMessage) : null;
    case 'metrics-wanted':
      return typeof m.id === 'number' ? (m as unknown as MetricsWantedMessage) : null;
    case 'metrics-part':
      return typeof m.id === 'number' && Array.isArray(m.metrics) ? (m as unknown as MetricsPartMessage) : null;
    default:
      return null;
  }
}

/** A message from the primary, or null for anything else on the channel. */
export function asPrimaryMessage(m: unknown): PrimaryMessage | null {
  if (!isRecord(m)) return null;
  switch (m.fg) {
    case 'drain':
      return { fg: 'drain' };
    case 'metrics-collect':
      return typeof m.id === 'number' ? (m as unknown as MetricsCollectMessage) : null;
    case 'metrics-sum':
      return typeof m.id === 'number' && typeof m.text === 'string' ? (m as unknown as MetricsSumMessage) : null;
    default:
      return null;
  }
}
