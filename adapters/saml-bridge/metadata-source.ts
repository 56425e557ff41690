/**
 * Keeps the upstream IdP's metadata current: read once from configuration, or fetched from a URL
 * and refreshed on a timer so a signing-certificate rollover (AD FS publishes the next
 * certificate beside the current one before it switches) reaches us without a restart. A failed
 * fetch, a copy that does not parse, or one whose signature does not verify never replaces the
 * last good copy (SAML Metadata Interoperability Profile §2.1: the keys in metadata are what we
 * trust, so a broken or swapped copy must not change that set).
 *
 * The keys are only as trustworthy as the channel: a metadata URL is https (the server's
 * certificate verified by Node against the system roots plus NODE_EXTRA_CA_CERTS), or the
 * document is signed and verified against pinned signer certificates (`signerCertificates`),
 * which then also protects it over plain http. Plain http without a signer is refused.
 */
import type { Logger } from 'pino';
import { redactUrl } from '../../src/sdk/adapter.js';
import { verifiedMetadataXml } from './metadata-signature.js';
import { MAX_METADATA_BYTES, MetadataError, certificateFingerprint, parseIdpMetadata, type UpstreamIdpMetadata } from './upstream-metadata.js';

export interface MetadataSourceOptions {
  /** Upstream name, for log lines. */
  name: string;
  /** Metadata XML given inline/from a file (read once) — exactly one of xml / url. */
  xml?: string;
  url?: string;
  refreshMs: number;
  expectedEntityId?: string;
  logger: Logger;
  fetchTimeoutMs?: number; // default 10 s
  maxBytes?: number; // default 1 MiB
  /** PEM certificates the metadata document must be signed by (metadataSignerCert); none: not checked (https or a file only). */
  signerCertificates?: readonly string[];
  /** Told when a loaded copy's signing certificates differ from the last good copy's (for the audit record). */
  onCertificatesChanged?: (change: CertificateChange) => void | Promise<void>;
}

export interface CertificateChange {
  upstream: string;
  entityId: string;
  previousFingerprints: string[];
  fingerprints: string[];
}

const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Until a first copy loads, the upstream cannot be used at all: retry at least this often. */
const FIRST_LOAD_RETRY_MS = 30_000;

export class MetadataSource {
  readonly #name: string;
  readonly #xml: string | undefined;
  readonly #url: string | undefined;
  readonly #refreshMs: number;
  readonly #expectedEntityId: string | undefined;
  readonly #logger: Logger;
  readonly #fetchTimeoutMs: number;
  readonly #maxBytes: number;
  readonly #signers: readonly string[];
  readonly #onCertificatesChanged: MetadataSourceOptions['onCertificatesChanged'];

  #current: UpstreamIdpMetadata | null = null;
  #lastFailure: string | null = null;
  #inFlight: Promise<boolean> | null = null;
  #abort: AbortController | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: MetadataSourceOptions) {
    const problems = optionProblems(options);
    if (problems.length > 0) throw new MetadataError(`SAML upstream ${JSON.stringify(options.name)}: ${problems.join('; ')}`);
    this.#name = options.name;
    this.#xml = options.xml;
    this.#url = options.url;
    this.#refreshMs = options.refreshMs;
    this.#expectedEntityId = options.expectedEntityId;
    this.#logger = options.logger;
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#signers = options.signerCertificates ?? [];
    this.#onCertificatesChanged = options.onCertificatesChanged;
  }

  /** Loads the first copy. For `xml`: parses now and throws MetadataError if invalid (a config error). For `url`: tries once; on failure logs a warning and keeps retrying every min(refreshMs, 30 s) in the background — never throws. Then refreshes every refreshMs (timer unref'd). */
  async start(): Promise<void> {
    if (this.#xml !== undefined) {
      // Inline metadata cannot change while we run: nothing to refresh.
      this.#accept(this.#read(this.#xml, this.#expectedEntityId));
      return;
    }
    await this.refresh();
    this.#scheduleNext();
  }

  /** The last good copy, or null before the first success. */
  current(): UpstreamIdpMetadata | null {
    return this.#current;
  }

  /**
   * Resolves when a copy is loaded; rejects with an Error naming the upstream when none is (for
   * /readyz). It answers for now and does not wait for a fetch under way.
   */
  ready(): Promise<void> {
    if (this.#current !== null) return Promise.resolve();
    const why = this.#lastFailure === null ? 'not loaded yet' : `not loaded: ${this.#lastFailure}`;
    return Promise.reject(new Error(`SAML upstream ${JSON.stringify(this.#name)}: IdP metadata ${why}`));
  }

  /** Fetches now (tests, and an admin refresh); resolves true on success, false when it failed and the last good copy was kept. */
  refresh(): Promise<boolean> {
    // One fetch at a time: a timer tick and an admin refresh together share it.
    this.#inFlight ??= this.#load().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#abort?.abort(new Error('the metadata source was closed'));
  }

  #scheduleNext(): void {
    if (this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const delay = this.#current === null ? Math.min(this.#refreshMs, FIRST_LOAD_RETRY_MS) : this.#refreshMs;
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => this.#scheduleNext());
    }, delay);
    // A metadata refresh is no reason to keep the process alive.
    this.#timer.unref();
  }

  async #load(): Promise<boolean> {
    let metadata: UpstreamIdpMetadata;
    try {
      const text = this.#xml ?? (await this.#fetchText(this.#url!));
      // Once loaded, the upstream's entity ID is pinned: a copy naming another entity would
      // silently change whose Responses we accept.
      metadata = this.#read(text, this.#expectedEntityId ?? this.#current?.entityId);
    } catch (err) {
      if (this.#closed) return false;
      const reason = err instanceof Error ? err.message : String(err);
      this.#lastFailure = reason;
      const fields = { upstream: this.#name, url: this.#url === undefined ? undefined : redactUrl(this.#url), reason };
      if (this.#current === null) this.#logger.warn(fields, 'SAML upstream metadata could not be loaded; retrying');
      else this.#logger.warn(fields, 'SAML upstream metadata refresh failed; keeping the last good copy');
      return false;
    }
    if (this.#closed) return false;
    this.#accept(metadata);
    return true;
  }

  /** Verifies the signature when signers are pinned, then reads the signed bytes only. */
  #read(text: string, expectedEntityId: string | undefined): UpstreamIdpMetadata {
    if (this.#signers.length === 0) return parseIdpMetadata(text, expectedEntityId);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_METADATA_BYTES) throw new MetadataError(`the IdP metadata is ${bytes} bytes, more than the ${MAX_METADATA_BYTES} accepted`);
    return parseIdpMetadata(verifiedMetadataXml(text, this.#signers).xml, expectedEntityId);
  }

  #accept(metadata: UpstreamIdpMetadata): void {
    const previous = this.#current;
    this.#current = Object.freeze({
      ...metadata,
      sso: Object.freeze({ ...metadata.sso }),
      signingCertificates: Object.freeze([...metadata.signingCertificates]) as string[],
    });
    this.#lastFailure = null;
    const fingerprints = metadata.signingCertificates.map(certificateFingerprint);
    const fields = { upstream: this.#name, entityId: metadata.entityId, fingerprints };
    if (previous === null) {
      this.#logger.info(fields, 'SAML upstream metadata loaded');
    } else if (!sameSet(previous.signingCertificates, metadata.signingCertificates)) {
      const previousFingerprints = previous.signingCertificates.map(certificateFingerprint);
      this.#logger.info({ ...fields, previousFingerprints }, 'SAML upstream signing certificates changed');
      // The audit trail must show when the keys we trust for an upstream changed, and to what.
      void Promise.resolve()
        .then(() => this.#onCertificatesChanged?.({ upstream: this.#name, entityId: metadata.entityId, previousFingerprints, fingerprints }))
        .catch((err: unknown) => this.#logger.error({ upstream: this.#name, err }, 'recording the SAML upstream certificate change failed'));
    } else {
      this.#logger.debug(fields, 'SAML upstream metadata refreshed');
    }
  }

  async #fetchText(url: string): Promise<string> {
    const abort = new AbortController();
    this.#abort = abort;
    const timeout = AbortSignal.timeout(this.#fetchTimeoutMs);
    try {
      const response = await fetch(url, {
        signal: AbortSignal.any([abort.signal, timeout]),
        headers: { accept: 'application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8' },
      });
      try {
        if (!response.ok) throw new Error(`the metadata URL answered HTTP ${response.status}`);
        if (url.startsWith('https:') && !response.url.startsWith('https:')) throw new Error('the metadata URL redirected from https to plain http');
        const declared = Number(response.headers.get('content-length') ?? 0);
        if (declared > this.#maxBytes) throw new Error(`the metadata is ${declared} bytes, more than the ${this.#maxBytes} accepted`);
        return await readCapped(response, this.#maxBytes);
      } finally {
        // Release the connection when we stopped reading early; a no-op once the body is read.
        await response.body?.cancel().catch(() => undefined);
      }
    } catch (err) {
      if (timeout.aborted) throw new Error(`the metadata URL gave no complete answer within ${this.#fetchTimeoutMs} ms`);
      throw new Error(describeFetchError(err));
    } finally {
      if (this.#abort === abort) this.#abort = null;
    }
  }
}

function optionProblems(options: MetadataSourceOptions): string[] {
  const problems: string[] = [];
  if ((options.xml === undefined) === (options.url === undefined)) problems.push('give exactly one of the metadata XML and the metadata URL');
  if (options.url !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(options.url).protocol;
    } catch {
      problems.push(`the metadata URL ${JSON.stringify(options.url)} is not a URL`);
    }
    if (protocol !== '' && protocol !== 'https:' && protocol !== 'http:') problems.push(`the metadata URL must be http or https, not ${protocol}`);
    // Over plain http anyone on the path can swap the certificates we would trust.
    if (protocol === 'http:' && (options.signerCertificates ?? []).length === 0) {
      problems.push('a plain http metadata URL is refused unless the document is signed and metadataSignerCert pins its signer; use https');
    }
  }
  const positive = (value: number | undefined, what: string, max = Number.MAX_SAFE_INTEGER) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0 && value <= max)) problems.push(`${what} must be a whole number from 1 to ${max}, not ${value}`);
  };
  positive(options.refreshMs, 'refreshMs', 2 ** 31 - 1); // setTimeout's limit
  positive(options.fetchTimeoutMs, 'fetchTimeoutMs');
  positive(options.maxBytes, 'maxBytes', MAX_METADATA_BYTES);
  return problems;
}

/** The body as UTF-8 text, refused as soon as it passes `maxBytes` (no length header needed). */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the metadata is more than the ${maxBytes} bytes accepted`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici reports network failures as TypeError('fetch failed') with the reason in `cause`.
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (err.message === 'fetch failed' && cause !== undefined) {
    const detail = typeof cause.code === 'string' ? cause.code : String(cause.message);
    return `the metadata URL could not be fetched (${detail})`;
  }
  return err.message;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((pem) => b.includes(pem));
}
