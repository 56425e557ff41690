/**
 * One configured upstream IdP, resolved from its metadata (file or URL, refreshed, last good
 * copy kept) and its configuration: entity id, HTTP-Redirect SSO URL, and the certificates
 * pinned for its signatures. Certificates given in configuration win over those in metadata,
 * so an operator can pin exactly the keys they expect, old and new together during a rollover.
 */
import type { Logger } from 'pino';
import { FactorgateError } from '../../src/sdk/adapter.js';
import { pinnedPublicKeys } from '../../src/sdk/adapter.js';
import { durationToMs, NAMEID_POLICY_FORMATS, type UpstreamConfig } from './config.js';
import { MetadataSource, type CertificateChange } from './metadata-source.js';

export interface ResolvedUpstream {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle (one file may hold the current and the next key). */
export function splitPemBundle(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => `${m[0]}\n`);
}

/** The certificates of a PEM bundle, each usable for verification; throws an Error naming `key`. */
function pinnedCertificates(bundle: string, key: string): string[] {
  const pems = splitPemBundle(bundle);
  if (pems.length === 0) throw new Error(`${key}: no PEM certificate found`);
  try {
    pinnedPublicKeys(pems);
  } catch (err) {
    throw new Error(`${key}: ${(err as Error).message}`, { cause: err });
  }
  return pems;
}

export class Upstream {
  readonly name: string;
  readonly providerName: string;
  readonly config: UpstreamConfig;
  readonly skewMs: number;
  readonly nameIdFormat: string | null;
  readonly #pinned: string[] | null;
  readonly #metadata: MetadataSource | null;

  /** Throws an Error naming the configuration key when a pinned certificate cannot be used. */
  constructor(config: UpstreamConfig, index: number, logger: Logger, onCertificatesChanged?: (change: CertificateChange) => void | Promise<void>) {
    this.name = config.name;
    this.providerName = `upstream:${config.name}`;
    this.config = config;
    this.skewMs = durationToMs(config.clockSkew);
    this.nameIdFormat = NAMEID_POLICY_FORMATS[config.nameIdFormat];
    const key = `adapters.samlBridge.upstreams[${index}]`;
    this.#pinned = config.signingCert === undefined ? null : pinnedCertificates(config.signingCert, `${key}.signingCert`);
    const signers = config.metadataSignerCert === undefined ? [] : pinnedCertificates(config.metadataSignerCert, `${key}.metadataSignerCert`);
    this.#metadata =
      config.metadata !== undefined || config.metadataUrl !== undefined
        ? new MetadataSource({
            name: config.name,
            ...(config.metadata !== undefined ? { xml: config.metadata } : { url: config.metadataUrl! }),
            refreshMs: durationToMs(config.metadataRefresh),
            ...(config.entityId !== undefined ? { expectedEntityId: config.entityId } : {}),
            signerCertificates: signers,
            ...(onCertificatesChanged !== undefined ? { onCertificatesChanged } : {}),
            logger,
          })
        : null;
  }

  async start(): Promise<void> {
    try {
      await this.#metadata?.start();
    } catch (err) {
      throw new Error(`adapters.samlBridge.upstreams (${this.name}).metadata: ${(err as Error).message}`, { cause: err });
    }
  }

  async ready(): Promise<void> {
    await this.#metadata?.ready();
    this.resolve();
  }

  close(): void {
    this.#metadata?.close();
  }

  /** What a request and a response check need now; UPSTREAM_UNAVAILABLE before the first metadata. */
  resolve(): ResolvedUpstream {
    const md = this.#metadata?.current() ?? null;
    if (this.#metadata !== null && md === null) {
      throw new FactorgateError('UPSTREAM_UNAVAILABLE', { detail: `upstream IdP ${this.name}: no metadata loaded yet` });
    }
    const entityId = this.config.entityId ?? md?.entityId;
    const ssoUrl = this.config.ssoUrl ?? md?.sso.redirect;
    const certificates = this.#pinned ?? md?.signingCertificates ?? [];
    if (entityId === undefined || ssoUrl === undefined || certificates.length === 0) {
      throw new FactorgateError('UPSTREAM_UNAVAILABLE', {
        detail: `upstream IdP ${this.name}: ${entityId === undefined ? 'no entity id' : ssoUrl === undefined ? 'no HTTP-Redirect single sign-on endpoint' : 'no signing certificate'}`,
      });
    }
    return { entityId, ssoUrl, certificates };
  }
}
