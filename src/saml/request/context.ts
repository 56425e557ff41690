/**
 * What the checks of an inbound SAML protocol message (an SP's AuthnRequest or LogoutRequest,
 * or its LogoutResponse) share: the message as the binding delivered it, the expectations of
 * the endpoint, what earlier checks found, and the failure every check may return. A check
 * returns `undefined` to let the next one run, or a failure that ends the validation.
 */
import type { XmlDocument, XmlElement } from '../../xml/index.js';
import type { QuerySignature } from '../signature/verify-query-signature.js';
import type { SignatureFailureReason } from '../signature/failure.js';

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

export type InboundKind = 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';

/** Machine reasons, for the log and the audit record's deny reason. */
export type RequestFailureReason =
  | 'DOCTYPE'
  | 'MALFORMED_XML'
  | 'WRONG_MESSAGE'
  | 'BAD_VERSION'
  | 'BAD_ID'
  | 'COMMENT'
  | 'MISSING_ISSUER'
  | 'UNKNOWN_ISSUER'
  | 'SIGNATURE_REQUIRED'
  | SignatureFailureReason
  | 'BAD_DESTINATION'
  | 'STALE_REQUEST';

export interface RequestFailure {
  ok: false;
  reason: RequestFailureReason;
  /**
   * What was wrong, in words an administrator can act on; may quote clipped, JSON-escaped
   * values of the untrusted message (never the message itself).
   */
  detail: string;
  /** The Issuer, once read (so the caller can name the relying party). */
  issuer?: string;
}

/** A message as a binding delivered it (SAML Bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST). */
export interface InboundMessage {
  binding: 'redirect' | 'post';
  /** The decoded (inflated) XML. */
  xml: string;
  /** HTTP-Redirect only: the query signature and the octets it covers. */
  querySignature?: QuerySignature | undefined;
}

/** Who may have sent a message, as the caller knows its peers. */
export interface RequestSigner {
  /** PEM certificates pinned for the sender (configuration or its metadata); KeyInfo is never read. */
  certificates: readonly string[];
  /** Whether an unsigned message is refused. */
  signatureRequired: boolean;
}

export interface RequestExpectations {
  kind: InboundKind;
  /** The absolute URL of the endpoint the message arrived at (its Destination). */
  destination: string;
  /** How far IssueInstant may lie from now, either way, in milliseconds. */
  maxAgeMs: number;
  /** The sender named by the Issuer; undefined when it is not a known peer. */
  signerFor(issuer: string): RequestSigner | undefined;
}

export interface VerifiedRequest {
  ok: true;
  kind: InboundKind;
  /**
   * The message element to read every value from. For an XML-signed message it is parsed again
   * from the canonical bytes the signature covers (so it has no Signature child); otherwise it
   * is the received element, covered as a whole by the query signature or by nothing.
   */
  root: XmlElement;
  id: string;
  issuer: string;
  /** Milliseconds since the epoch. */
  issueInstant: number;
  signed: boolean;
}

export type RequestResult = VerifiedRequest | RequestFailure;

/** Mutable state passed along the table; each field is set by the check named beside it. */
export interface RequestContext {
  readonly message: InboundMessage;
  readonly expectations: RequestExpectations;
  readonly now: number;
  /** parse-request */
  document?: XmlDocument;
  received?: XmlElement;
  /** read-request-issuer */
  issuer?: string;
  signer?: RequestSigner;
  /** check-request-shape: the enveloped Signature, or null. */
  signature?: XmlElement | null;
  /** verify-request-signature: where values are read from from here on. */
  root?: XmlElement;
  signed?: boolean;
  /** check-issue-instant */
  id?: string;
  issueInstant?: number;
}

export type RequestCheck = (ctx: RequestContext) => RequestFailure | undefined;

export function refuse(ctx: RequestContext, reason: RequestFailureReason, detail: string): RequestFailure {
  return ctx.issuer === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, issuer: ctx.issuer };
}

/** Throws when a check runs before the one that provides what it needs: a bug in the table. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`inbound request checks: ${what} is not available yet`);
  return value;
}
