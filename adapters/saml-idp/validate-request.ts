/**
 * The ordered checks of each inbound message, as tables (STYLE.md habit 1). The SAML core's
 * checks run first (verify-message: document, shape, issuer, signature, destination, age, with
 * every later value read from the signed bytes); then what only the IdP decides (ACS,
 * RelayState, options); the replay check last, so a request refused for another reason does not
 * burn its ID.
 */
import type { RequestCheck, RequestContext } from './checks/context.js';
import { verifyMessage } from './checks/verify-message.js';
import { checkAcs } from './checks/check-acs.js';
import { checkRelayState } from './checks/check-relay-state.js';
import { readAuthnOptions } from './checks/read-authn-options.js';
import { checkReplay } from './checks/check-replay.js';
import { readLogoutSubject } from './checks/read-logout-subject.js';
import { readLogoutStatus } from './checks/read-logout-status.js';

export const AUTHN_REQUEST_CHECKS: readonly RequestCheck[] = [
  verifyMessage,
  checkAcs,
  checkRelayState,
  readAuthnOptions,
  checkReplay,
];

export const LOGOUT_REQUEST_CHECKS: readonly RequestCheck[] = [
  verifyMessage,
  checkRelayState,
  readLogoutSubject,
  checkReplay,
];

export const LOGOUT_RESPONSE_CHECKS: readonly RequestCheck[] = [
  verifyMessage,
  checkRelayState,
  readLogoutStatus,
  checkReplay,
];

export async function runChecks(ctx: RequestContext, checks: readonly RequestCheck[]): Promise<RequestContext> {
  for (const check of checks) await check(ctx);
  return ctx;
}
