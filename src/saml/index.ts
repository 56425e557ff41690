/**
 * The SAML core shared by the IdP and bridge adapters: framework-free (no Express), it turns
 * a validated assertion description into signed (and optionally encrypted) Response XML.
 */
export { SamlEmitError, type SamlEmitErrorReason } from './emit-error.js';
export {
  ATTRNAME_FORMAT_URI,
  buildSignedResponse,
  buildSignedResponseSync,
  signCanonicalElement,
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
export {
  NS_SAML11,
  SAML11_AM_PASSWORD,
  SAML11_CM_BEARER,
  buildSignedSaml11Assertion,
  type Saml11AssertionInput,
  type Saml11Attribute,
  type SignedSaml11Assertion,
} from './emit-saml11-assertion.js';
export { NS_WSTRUST_2005, TOKEN_TYPE_SAML11, buildWsFedResponse, type WsFedResponse, type WsFedResponseInput } from './emit-wsfed-response.js';
export { NS_FED, buildSignedFederationMetadata, type FederationMetadataInput } from './emit-federation-metadata.js';
export { isSafeSamlId, newSamlId } from './saml-id.js';
export { SIGNATURE_ALGORITHMS, SamlSigner, type SamlSignerOptions, type SignatureAlgorithm } from './signer.js';
export { canonicalAttribute, canonicalText, toDocumentForm } from './xml-escape.js';
/*
 * Validation of inbound messages, for the adapters (and the future `factorgate/adapter` SDK):
 * an SP's requests at the IdP, an upstream IdP's Response at the bridge.
 */
export {
  INBOUND_REQUEST_CHECKS,
  verifyInboundRequest,
  type InboundKind,
  type InboundMessage,
  type RequestExpectations,
  type RequestFailure,
  type RequestFailureReason,
  type RequestResult,
  type RequestSigner,
  type VerifiedRequest,
} from './verify-request.js';
export { NS_SAML, NS_SAMLP } from './request/context.js';
export { NS_DS } from './signature/signature-form.js';
export { parseInstant } from './saml-instant.js';
export { pinnedPublicKeys } from './signature/pinned-keys.js';
export type { QuerySignature } from './signature/verify-query-signature.js';
export { attr, attrNS, childElements, children, onlyChild, parseXmlSafely, simpleText, type XmlDocument, type XmlElement } from '../xml/index.js';
