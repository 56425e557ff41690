/**
 * Validation of an SP's inbound SAML protocol message (AuthnRequest, LogoutRequest,
 * LogoutResponse) by the IdP side, framework-free, on the same primitives as the bridge's
 * Response checks: the project's one safe parser, one algorithm allowlist, one signature-form
 * check, verification with pinned keys only, and every value read from the signed bytes.
 *
 * The steps are one ordered table (`request/`, one rule per file): the document, then the
 * sender it names (only to find its keys and name it in refusals), the shape, the signature, the signature before any
 * value is trusted. What the endpoint then decides (which ACS, which options, the replay cache)
 * is the caller's; it reads them from `root`.
 */
import { checkIssueInstant } from './request/check-issue-instant.js';
import { checkRequestDestination } from './request/check-request-destination.js';
import { checkRequestShape } from './request/check-request-shape.js';
import type { InboundMessage, RequestCheck, RequestContext, RequestExpectations, RequestResult } from './request/context.js';
import { parseRequest } from './request/parse-request.js';
import { readRequestIssuer } from './request/read-request-issuer.js';
import { verifyRequestSignature } from './request/verify-request-signature.js';

export type {
  InboundKind,
  InboundMessage,
  RequestExpectations,
  RequestFailure,
  RequestFailureReason,
  RequestResult,
  RequestSigner,
  VerifiedRequest,
} from './request/context.js';

export interface NamedRequestCheck {
  readonly name: string;
  readonly run: RequestCheck;
}

/** The order of the steps. Exported so tests can prove each barrier holds on its own. */
export const INBOUND_REQUEST_CHECKS: readonly NamedRequestCheck[] = Object.freeze([
  { name: 'parse-request', run: parseRequest },
  { name: 'read-request-issuer', run: readRequestIssuer },
  { name: 'check-request-shape', run: checkRequestShape },
  { name: 'verify-request-signature', run: verifyRequestSignature },
  { name: 'check-request-destination', run: checkRequestDestination },
  { name: 'check-issue-instant', run: checkIssueInstant },
]);

/**
 * Validates an inbound message as its binding delivered it. Resolves to the trusted message
 * element and what was read from it, or to a failure whose `reason` goes to the audit record
 * and whose `detail` to the log and the administrator's error page.
 */
export function verifyInboundRequest(message: InboundMessage, expectations: RequestExpectations, now: number): RequestResult {
  const ctx: RequestContext = { message, expectations, now };
  for (const check of INBOUND_REQUEST_CHECKS) {
    const failure = check.run(ctx);
    if (failure !== undefined) return failure;
  }
  if (ctx.root === undefined || ctx.issuer === undefined || ctx.id === undefined || ctx.issueInstant === undefined) {
    throw new Error('inbound request checks: the table ended without a trusted message');
  }
  return { ok: true, kind: expectations.kind, root: ctx.root, id: ctx.id, issuer: ctx.issuer, issueInstant: ctx.issueInstant, signed: ctx.signed === true };
}
