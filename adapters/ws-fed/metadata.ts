/**
 * The signed federation metadata (WS-Federation 1.2 §3.1), served at the well-known
 * `/FederationMetadata/2007-06/FederationMetadata.xml` that AD FS uses and tools expect. Signing
 * costs one RSA operation, so the document is signed once per set of published certificates and
 * reused; a key rollover (another set) signs a new one.
 */
import type { SamlSigner, SigningKeys } from '../../src/sdk/adapter.js';
import { buildSignedFederationMetadata } from '../../src/sdk/adapter.js';

export const FEDERATION_METADATA_PATH = '/FederationMetadata/2007-06/FederationMetadata.xml';

export class FederationMetadata {
  #cache: { certificates: string; document: Promise<string> } | undefined;

  constructor(
    private readonly input: { entityId: string; passiveEndpoint: string; keys: SigningKeys },
    private readonly signer: SamlSigner,
  ) {}

  document(): Promise<string> {
    const certificates = this.input.keys.published.map((k) => k.certificateBase64);
    const id = certificates.join(',');
    if (this.#cache?.certificates !== id) {
      const document = buildSignedFederationMetadata({ entityId: this.input.entityId, passiveEndpoint: this.input.passiveEndpoint, certificates }, this.signer);
      // A failed signing is not cached: the next request tries again.
      document.catch(() => (this.#cache = undefined));
      this.#cache = { certificates: id, document };
    }
    return this.#cache.document;
  }
}
