/**
 * The SAML core shared by the IdP and bridge adapters: framework-free (no Express), it turns
 * a validated assertion description into signed (and optionally encrypted) Response XML.
 */
export { SamlEmitError, type SamlEmitErrorReason } from './emit-error.js';
export {
  ATTRNAME_FORMAT_URI,
  buildSignedResponse,
  buildSignedResponseSync,
  signCanonicalMessage,
  type SamlAttribute,
  type SamlEmitOptions,
  type SamlInstant,
  type SamlNameId,
  type SamlResponseInput,
} from './emit-response.js';
export {
  AssertionEncrypter,
  type AssertionEncrypterOptions,
  type ContentEncryptionAlgorithm,
} from './encrypt-assertion.js';
export { isSafeSamlId, newSamlId } from './saml-id.js';
export { SIGNATURE_ALGORITHMS, SamlSigner, type SamlSignerOptions, type SignatureAlgorithm } from './signer.js';
export { canonicalAttribute, canonicalText, toDocumentForm } from './xml-escape.js';
