/**
 * The ordered checks of each inbound message, as tables (STYLE.md habit 1). Cheap, structural
 * checks run first; the signature before anything that trusts the message's content; the
 * replay check last, so a request refused for another reason does not burn its ID.
 */
import type { RequestCheck, RequestContext } from './checks/context.js';
import { checkXml } from './checks/check-xml.js';
import { checkIssuer } from './checks/check-issuer.js';
import { checkSignature } from './checks/check-signature.js';
import { checkDestination } from './checks/check-destination.js';
import { checkIssueInstant } from './checks/check-issue-instant.js';
import { checkAcs } from './checks/check-acs.js';
import { checkRelayState } from './checks/check-relay-state.js';
import { readAuthnOptions } from './checks/read-authn-options.js';
import { checkReplay } from './checks/check-replay.js';
import { readLogoutSubject } from './checks/read-logout-subject.js';
import { readLogoutStatus } from './checks/read-logout-status.js';

export const AUTHN_REQUEST_CHECKS: readonly RequestCheck[] = [
  checkXml,
  checkIssuer,
  checkSignature,
  checkDestination,
  checkIssueInstant,
  checkAcs,
  checkRelayState,
  readAuthnOptions,
  checkReplay,
];

export const LOGOUT_REQUEST_CHECKS: readonly RequestCheck[] = [
  checkXml,
  checkIssuer,
  checkSignature,
  checkDestination,
  checkIssueInstant,
  checkRelayState,
  readLogoutSubject,
  checkReplay,
];

export const LOGOUT_RESPONSE_CHECKS: readonly RequestCheck[] = [
  checkXml,
  checkIssuer,
  checkSignature,
  checkDestination,
  checkIssueInstant,
  checkRelayState,
  readLogoutStatus,
  checkReplay,
];

export async function runChecks(ctx: RequestContext, checks: readonly RequestCheck[]): Promise<RequestContext> {
  for (const check of checks) await check(ctx);
  return ctx;
}
