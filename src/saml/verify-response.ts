/**
 * Validation of an upstream IdP's SAML Response by the bridge's SP side, framework-free.
 *
 * The steps are one ordered table of small checks (`checks/`, one rule per file). Cheap,
 * key-free refusals come first (size, DTD, status, document shape), then the signatures with
 * the pinned keys, then the rules of SAML Core and the Web Browser SSO profile on the signed
 * Assertion, and last the two steps that change shared state (the replay cache and the
 * outstanding request id), so only a Response that passed everything uses them up.
 *
 * Built on xml-crypto 6 directly rather than node-saml's `validatePostResponseAsync`: every
 * check the bridge needs is ours anyway (node-saml 5 accepts rsa-sha1 and inclusive C14N,
 * keeps request ids in process memory, has no assertion replay cache, and reads the profile
 * from the received document), and going straight to xml-crypto lets us hand the caller only
 * what `getSignedReferences()` returns: the canonical bytes the IdP's signature covers.
 */
import { pinnedPublicKeys } from './signature/pinned-keys.js';
import { checkConditions } from './checks/check-conditions.js';
import { checkDestination } from './checks/check-destination.js';
import { checkInResponseTo } from './checks/check-in-response-to.js';
import { checkIssuer } from './checks/check-issuer.js';
import { checkReplay } from './checks/check-replay.js';
import { checkShape } from './checks/check-shape.js';
import { checkSignatures } from './checks/check-signature-form.js';
import { checkStatus } from './checks/check-status.js';
import { checkSubjectConfirmation } from './checks/check-subject-confirmation.js';
import { checkValidityWindow } from './checks/check-validity-window.js';
import { consumeRequestId } from './checks/consume-request-id.js';
import type {
  ResponseCheck,
  ResponseContext,
  UpstreamDeps,
  UpstreamExpectations,
  UpstreamResult,
} from './checks/context.js';
import { decodeInput } from './checks/decode-input.js';
import { parseXml } from './checks/parse-xml.js';
import { readAssertion } from './checks/read-assertion.js';
import { refuseComments } from './checks/refuse-comments.js';
import { verifySignatures } from './checks/verify-signatures.js';

export type {
  UpstreamDeps,
  UpstreamExpectations,
  UpstreamFailure,
  UpstreamFailureReason,
  UpstreamResult,
  VerifiedUpstreamAssertion,
} from './checks/context.js';

export interface NamedCheck {
  readonly name: string;
  readonly run: ResponseCheck;
}

/** The order of the steps. Exported so tests can prove each barrier holds on its own. */
export const UPSTREAM_RESPONSE_CHECKS: readonly NamedCheck[] = Object.freeze([
  { name: 'decode-input', run: decodeInput },
  { name: 'parse-xml', run: parseXml },
  { name: 'check-status', run: checkStatus },
  { name: 'check-shape', run: checkShape },
  { name: 'refuse-comments', run: refuseComments },
  { name: 'check-signature-form', run: checkSignatures },
  { name: 'verify-signatures', run: verifySignatures },
  { name: 'check-issuer', run: checkIssuer },
  { name: 'check-destination', run: checkDestination },
  { name: 'check-conditions', run: checkConditions },
  { name: 'check-subject-confirmation', run: checkSubjectConfirmation },
  { name: 'check-validity-window', run: checkValidityWindow },
  { name: 'check-in-response-to', run: checkInResponseTo },
  { name: 'read-assertion', run: readAssertion },
  { name: 'check-replay', run: checkReplay },
  { name: 'consume-request-id', run: consumeRequestId },
]);

const DEFAULT_SKEW_MS = 60_000;

export { pinnedPublicKeys };

/** Runs `checks` in order; the first failure ends the run. */
export async function runUpstreamResponseChecks(
  checks: readonly NamedCheck[],
  input: string,
  expectations: UpstreamExpectations,
  deps: UpstreamDeps,
): Promise<UpstreamResult> {
  const ctx: ResponseContext = {
    input,
    expectations,
    deps,
    skewMs: expectations.clockSkewMs ?? DEFAULT_SKEW_MS,
    now: deps.clock.now(),
    publicKeys: pinnedPublicKeys(expectations.pinnedCertificates),
  };
  for (const check of checks) {
    const failure = await check.run(ctx);
    if (failure !== undefined) return failure;
  }
  if (ctx.result === undefined) throw new Error('upstream response checks: the table never read the assertion');
  return ctx.result;
}

/**
 * Validates the SAMLResponse an upstream IdP posted to `/saml/bridge/acs` (base64 as posted,
 * or the XML itself). Resolves to the subject and attributes of the one signed Assertion, read
 * from the bytes its signature covers, or to a failure whose `reason` goes to the audit record
 * and whose `detail` to the log; the user sees only a neutral page either way.
 */
export function verifyUpstreamResponse(
  xmlOrBase64: string,
  expectations: UpstreamExpectations,
  deps: UpstreamDeps,
): Promise<UpstreamResult> {
  return runUpstreamResponseChecks(UPSTREAM_RESPONSE_CHECKS, xmlOrBase64, expectations, deps);
}
