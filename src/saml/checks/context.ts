/**
 * What the checks of an upstream IdP's Response share: the expectations, the injected clock and
 * replay cache, what earlier checks found, and the failure every check may return. A check
 * returns `undefined` to let the next one run, or a failure that ends the validation.
 */
import type { XmlDocument as Document, XmlElement as Element } from '../../xml/index.js';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../kit/clock.js';
import type { ReplayCache } from '../../api/host-api.js';
import { attr } from '../../xml/index.js';

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

/** Machine reasons, for the log and the audit record's deny reason; never shown to the user. */
export type UpstreamFailureReason =
  | 'TOO_LARGE'
  | 'NOT_XML'
  | 'DOCTYPE'
  | 'MALFORMED'
  | 'STATUS'
  | 'ENCRYPTED_UNSUPPORTED'
  | 'WRAPPING'
  | 'MULTIPLE_ASSERTIONS'
  | 'COMMENT'
  | 'SIGNATURE_MISSING'
  | 'SHA1'
  | 'ALGORITHM'
  | 'TRANSFORM'
  | 'SIGNATURE_INVALID'
  | 'ISSUER'
  | 'DESTINATION'
  | 'AUDIENCE'
  | 'CONDITION'
  | 'RECIPIENT'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'IN_RESPONSE_TO'
  | 'REPLAY';

export interface UpstreamFailure {
  ok: false;
  reason: UpstreamFailureReason;
  /** For the log and audit only: may quote (clipped) values from the untrusted document. */
  detail: string;
}

export interface UpstreamExpectations {
  /**
   * PEM certificates pinned for this upstream IdP (from its metadata or configuration). Two or
   * more during a key rollover; a signature from any of them is accepted. KeyInfo in the
   * Response is never consulted.
   */
  pinnedCertificates: readonly string[];
  /** The upstream IdP's entity id. */
  issuer: string;
  /** Our SP entity id, which the assertion must name as its audience. */
  audience: string;
  /** Our ACS URL (`…/saml/bridge/acs`): Destination of the Response and Recipient of the bearer confirmation. */
  acsUrl: string;
  /**
   * Consumes the id of an AuthnRequest we sent; true once for an outstanding id, false for an
   * unknown or already consumed one. Called only when every other check has passed.
   */
  consumeRequestId(id: string): boolean | Promise<boolean>;
  /**
   * The request this Response must answer, when the caller knows it (the bridge does, from
   * RelayState): a different InResponseTo is refused before the replay cache records the
   * assertion id, so a Response posted against the wrong request cannot burn the genuine one.
   */
  expectedRequestId?: string;
  /** Allowed clock difference with the IdP, in milliseconds. Default 60 s. */
  clockSkewMs?: number;
  /** Largest accepted input (base64 or XML), in bytes. Default 256 KiB. */
  maxBytes?: number;
}

export interface UpstreamDeps {
  clock: Clock;
  replay: ReplayCache;
  /**
   * The caller's replay scope (an adapter passes its name): accepted assertion ids are kept
   * under `<replayScope>:assertion:<issuer>`. The SAML core names no adapter; without a scope
   * it keeps them under its own `saml`. Since host API 1.5.
   */
  replayScope?: string;
}

export interface VerifiedUpstreamAssertion {
  ok: true;
  issuer: string;
  nameId: { value: string; format: string | null };
  sessionIndex: string | null;
  authnContextClassRefs: string[];
  /** Milliseconds since the epoch. */
  authnInstant: number;
  /** Attribute Name → values, in document order; attributes with no value are kept as []. */
  attributes: Record<string, string[]>;
  assertionId: string;
  /** The end of the assertion's acceptance window: the earlier of Conditions' and the bearer confirmation's NotOnOrAfter. */
  notOnOrAfter: number;
  /** The upstream session's end (AuthnStatement SessionNotOnOrAfter), if the IdP set one. */
  sessionNotOnOrAfter: number | null;
  inResponseTo: string;
  /** Index in `pinnedCertificates` of the certificate that verified the assertion (rollover audit). */
  pinnedCertificateIndex: number;
}

export type UpstreamResult = VerifiedUpstreamAssertion | UpstreamFailure;

/** Mutable state passed along the table; each field is set by the check named beside it. */
export interface ResponseContext {
  readonly input: string;
  readonly expectations: UpstreamExpectations;
  readonly deps: UpstreamDeps;
  readonly skewMs: number;
  readonly now: number;
  /** The pinned certificates' public keys, in the order of `pinnedCertificates`. */
  readonly publicKeys: readonly KeyObject[];
  /** decode-input */
  xml?: string;
  /** parse-xml */
  document?: Document;
  response?: Element;
  /** check-shape: the one Assertion of the received document (for its signature, not its content). */
  receivedAssertion?: Element;
  /** check-shape */
  responseSignature?: Element | null;
  assertionSignature?: Element | null;
  /**
   * verify-signatures: the Assertion parsed again from the exact canonical bytes the signature
   * covers. Every value the caller gets is read from here, never from the received document.
   */
  signedAssertion?: Element;
  pinnedCertificateIndex?: number;
  /** check-subject-confirmation */
  confirmationNotOnOrAfter?: number;
  confirmationInResponseTo?: string | null;
  /** check-validity-window */
  notOnOrAfter?: number;
  /** read-assertion */
  result?: VerifiedUpstreamAssertion;
}

export type ResponseCheck = (ctx: ResponseContext) => UpstreamFailure | undefined | Promise<UpstreamFailure | undefined>;

export function fail(reason: UpstreamFailureReason, detail: string): UpstreamFailure {
  return { ok: false, reason, detail };
}

/** Throws when a check runs before the one that provides what it needs: a bug in the table. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`upstream response checks: ${what} is not available yet`);
  return value;
}

export { childElements, children, descendants, onlyChild, simpleText } from '../../xml/index.js';
export { clip } from '../../kit/clip.js';

export { parseInstant } from '../saml-instant.js';
import { parseInstant } from '../saml-instant.js';

/** An optional time attribute: null when absent, undefined when present but not a SAML instant. */
export function instantAttribute(el: Element, name: string): number | null | undefined {
  if (!el.hasAttribute(name)) return null;
  return parseInstant(attr(el, name) ?? '');
}
