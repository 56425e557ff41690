/**
 * `factorgate/adapter`: everything an adapter may use, and nothing else. The built-in adapters
 * import only this module (an ESLint rule holds them to it), and so do plugins, by package name.
 * Versioned by HOST_API_VERSION (semver): an addition here is a minor version, a removal or an
 * incompatible change a major one. See docs/adapters.md ("Write an adapter").
 */

// The contract: definitions, the host API, outcomes, sessions, state, signing keys.
export * from '../api/host-api.js';

// Errors: throw FactorgateError with a code; the host maps it to a status and a page.
export { FactorgateError, isFactorgateError, type ErrorCode } from '../kit/errors.js';

// Time and durations: take time from `host.clock`, never from Date.now().
export type { Clock } from '../kit/clock.js';
/** The wall clock, only for code that runs without a host (`connectChecks`); inside, use `host.clock`. */
export { systemClock } from '../kit/clock.js';
export { duration, durationToMs } from '../kit/durations.js';

// HTTP helpers: cookies, the auto-submitting POST form (SAML POST binding, WS-Federation), escaping, clipping.
export { readCookie } from '../http/cookies.js';
export { autoSubmitScript, sendAutoPostForm, type AutoPostForm } from '../http/auto-post-form.js';
export { escapeHtml } from '../kit/pages/html.js';
export { clip } from '../kit/clip.js';
export { redactUrl } from '../audit/logger.js';


// Directory helpers: AD objectGUID as bytes; the one group-membership rule (a name matches a DN's
// first RDN, a DN matches only that DN, without case or spaces) the host's policies use too.
export { inAnyGroup, inGroup } from '../policy/group-match.js';
export { bytesFromGuid } from '../directory/ldap/map-entry.js';

// Safe XML and the SAML core: one parser (no DOCTYPE), DOM walks, signing and validation.
export * from '../saml/index.js';
export { verifyUpstreamResponse } from '../saml/verify-response.js';
export type { VerifiedUpstreamAssertion } from '../saml/checks/context.js';
export { checkSignatureForm } from '../saml/signature/signature-form.js';
export { readSignedElement, verifyWithPinnedKeys } from '../saml/signature/verify-enveloped.js';

// Configuration schemas are zod; adapters use the host's copy.
export { z } from 'zod';
