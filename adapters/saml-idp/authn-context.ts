/**
 * RequestedAuthnContext (SAML Core §3.3.2.2.1): which authentication context classes satisfy a
 * relying party's request. We can produce two: password-only (PasswordProtectedTransport) and
 * multi-factor (the RP's configured class, `multipleauthn` by default). Comparison `minimum`,
 * `better` and `maximum` need an order between classes; ours is password < multi-factor, and
 * classes we do not know are never met.
 */
import { MFA_CLASS_REF, PASSWORD_CLASS_REF } from './config.js';
import type { RequestedAuthnContext } from './checks/context.js';

const PASSWORD_CLASSES = [PASSWORD_CLASS_REF, 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password', 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified'];
const MFA_CLASSES = [MFA_CLASS_REF, 'https://refeds.org/profile/mfa', 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract', 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken'];

function strength(classRef: string, mfaClassRef: string): number | undefined {
  if (classRef === mfaClassRef || MFA_CLASSES.includes(classRef)) return 2;
  if (PASSWORD_CLASSES.includes(classRef)) return 1;
  return undefined;
}

/**
 * The class we assert. With `exact` the answer must be one of the requested classes (Core
 * §3.3.2.2.1); a multi-factor sign-in also used a password over TLS, so an exact request for a
 * password class (node-saml's default) is answered with that class, truthfully, while the
 * authnmethodsreferences attribute still says a second factor was used.
 */
export function classRefFor(requested: RequestedAuthnContext | undefined, multiFactor: boolean, mfaClassRef: string): string {
  const ours = multiFactor ? mfaClassRef : PASSWORD_CLASS_REF;
  if (requested?.comparison !== 'exact') return ours;
  const exact = requested.classRefs.find((c) => strength(c, mfaClassRef) === (multiFactor ? 2 : 1));
  if (exact !== undefined) return exact;
  return requested.classRefs.find((c) => strength(c, mfaClassRef) === 1) ?? ours;
}

/** Whether an authentication (multi-factor or not) meets the request. */
export function meets(requested: RequestedAuthnContext | undefined, multiFactor: boolean, mfaClassRef: string): boolean {
  if (requested === undefined) return true;
  const ours = multiFactor ? 2 : 1;
  const theirs = requested.classRefs.map((c) => strength(c, mfaClassRef)).filter((s): s is number => s !== undefined);
  if (theirs.length === 0) return false;
  switch (requested.comparison) {
    case 'exact':
      return theirs.includes(ours) || (ours === 2 && theirs.includes(1));
    case 'minimum':
      return ours >= Math.min(...theirs);
    case 'better':
      return ours > Math.min(...theirs);
    case 'maximum':
      return ours <= Math.max(...theirs);
  }
}
