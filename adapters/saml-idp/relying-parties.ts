/**
 * The relying parties, from configuration: inline (entityId + acs + cert) or SP metadata, given
 * as text (`metadataFile`) or fetched from `metadataUrl` and refreshed on a schedule. A refresh
 * that fails (network, HTTP status, unparsable XML) keeps the last good copy and is logged: an
 * SP's metadata server being down must not lock its users out.
 */
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { type RelyingPartyConfig } from './config.js';
import { parseSpMetadata, type Endpoint, type SloEndpoint, type SpMetadata } from './sp-metadata.js';

export interface RelyingParty {
  name: string;
  entityId: string;
  config: RelyingPartyConfig;
  acs: Endpoint[];
  slo: SloEndpoint | null;
  /** PEM certificates its requests may be signed with (metadata may list two during its rollover). */
  signingCerts: string[];
  encryptionCert: string | null;
  requireSignedRequests: boolean;
  wantAssertionsSigned: boolean;
  /** When the metadata was last loaded (ms), or null for inline configuration. */
  loadedAt: number | null;
}

const MAX_METADATA_BYTES = 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

function fromConfig(config: RelyingPartyConfig, metadata: SpMetadata | null, loadedAt: number | null): RelyingParty {
  const acs: Endpoint[] =
    config.acs?.map((a, i) => ({ url: a.url, binding: a.binding, index: a.index ?? i, isDefault: i === 0 })) ?? metadata?.acs ?? [];
  const slo: SloEndpoint | null = config.slo
    ? { url: config.slo.url, responseUrl: config.slo.url, binding: config.slo.binding }
    : (metadata?.slo ?? null);
  const signingCerts = config.cert ? [new X509Certificate(config.cert).toString()] : (metadata?.signingCerts ?? []);
  const encryptionCert = config.encryptionCert ? new X509Certificate(config.encryptionCert).toString() : (metadata?.encryptionCert ?? null);
  return {
    name: config.name,
    entityId: config.entityId ?? metadata!.entityId,
    config,
    acs,
    slo,
    signingCerts,
    encryptionCert,
    requireSignedRequests: config.requireSignedRequests || (metadata?.authnRequestsSigned ?? false),
    wantAssertionsSigned: metadata?.wantAssertionsSigned ?? false,
    loadedAt,
  };
}

export interface RegistryDeps {
  clock: Clock;
  logger: Logger;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export class RelyingPartyRegistry {
  readonly #byName = new Map<string, RelyingParty>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #configs: readonly RelyingPartyConfig[];
  readonly #deps: RegistryDeps;

  constructor(configs: readonly RelyingPartyConfig[], deps: RegistryDeps) {
    this.#configs = configs;
    this.#deps = deps;
    for (const config of configs) {
      if (config.metadataUrl !== undefined) continue;
      const metadata = config.metadata === undefined ? null : parseSpMetadata(config.metadata, config.entityId);
      this.#set(fromConfig(config, metadata, metadata ? deps.clock.now() : null));
    }
  }

  /** Fetches the URL-based metadata once, then on each one's schedule. */
  async start(): Promise<void> {
    await Promise.all(
      this.#configs
        .filter((c) => c.metadataUrl !== undefined)
        .map(async (config) => {
          await this.refresh(config.name);
          const timer = setInterval(() => void this.refresh(config.name), durationToMs(config.metadataRefresh));
          timer.unref();
          this.#timers.push(timer);
        }),
    );
  }

  /** Loads one RP's metadata URL now; on failure the previous copy stays. Resolves to whether it loaded. */
  async refresh(name: string): Promise<boolean> {
    const config = this.#configs.find((c) => c.name === name);
    if (!config?.metadataUrl) return false;
    const { logger, clock } = this.#deps;
    try {
      const res = await (this.#deps.fetch ?? fetch)(config.metadataUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (Buffer.byteLength(text) > MAX_METADATA_BYTES) throw new Error(`metadata larger than ${MAX_METADATA_BYTES} bytes`);
      const next = fromConfig(config, parseSpMetadata(text, config.entityId), clock.now());
      const previous = this.#byName.get(name);
      if (previous && previous.entityId !== next.entityId) throw new Error(`entity ID changed from ${previous.entityId} to ${next.entityId}`);
      this.#set(next);
      logger.info({ relyingParty: name, url: config.metadataUrl }, 'relying party metadata loaded');
      return true;
    } catch (err) {
      const kept = this.#byName.get(name);
      logger.warn(
        { relyingParty: name, url: config.metadataUrl, err: (err as Error).message, keptFrom: kept?.loadedAt ?? null },
        kept ? 'relying party metadata refresh failed; keeping the last good copy' : 'relying party metadata could not be loaded',
      );
      return false;
    }
  }

  #set(rp: RelyingParty): void {
    this.#byName.set(rp.name, rp);
  }

  byEntityId(entityId: string): RelyingParty | undefined {
    for (const rp of this.#byName.values()) if (rp.entityId === entityId) return rp;
    return undefined;
  }

  byName(name: string): RelyingParty | undefined {
    return this.#byName.get(name);
  }

  /** Configured but not (yet) loaded: its metadata URL never answered. */
  isPending(entityIdOrName: string): boolean {
    return this.#configs.some((c) => (c.name === entityIdOrName || c.entityId === entityIdOrName) && !this.#byName.has(c.name));
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
  }
}
