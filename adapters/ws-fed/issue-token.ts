/**
 * Turns a signed-in session into the `wresult` for one realm, with the core's SAML 1.1 emitter
 * (`buildWsFedResponse`: canonical form, RSA-SHA256, exclusive C14N, enveloped): the
 * NameIdentifier and claims from the user record as the realm says, the AuthenticationMethod
 * (multipleauthn after a second factor, password otherwise) and, after a second factor, the
 * `authnmethodsreferences` claim Entra ID's federatedIdpMfaBehavior looks for.
 */
import type { SamlSigner, Saml11Attribute, UserRecord } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { bytesFromGuid, buildWsFedResponse, SAML11_AM_PASSWORD } from '../../src/sdk/adapter.js';
import { type UserSource } from './config.js';
import { MS_CLAIMS_NS, type Realm } from './realms.js';
import { WsFedRejection } from './rejection.js';

export interface IssueSettings {
  issuer: string;
  clockSkewMs: number;
}

export interface SignedInUser {
  user: UserRecord;
  multiFactor: boolean;
  authnInstant: number;
}

export interface IssuedToken {
  wresult: string;
  assertionId: string;
  nameIdentifier: string;
}

/** A user's value for `source`, or null when the user has none. */
export function userValue(source: UserSource, user: UserRecord): string | null {
  if (source === 'objectGuid') {
    // Entra Connect's default sourceAnchor: base64 of objectGUID's 16 bytes as AD stores them.
    const bytes = user.externalId === null ? null : bytesFromGuid(user.externalId);
    return bytes === null ? null : bytes.toString('base64');
  }
  const v = user[source];
  return typeof v === 'string' && v !== '' ? v : null;
}

export class TokenIssuer {
  constructor(
    private readonly settings: IssueSettings,
    private readonly signer: SamlSigner,
  ) {}

  async issue(realm: Realm, who: SignedInUser, now: number): Promise<IssuedToken> {
    const nameIdentifier = userValue(realm.nameIdentifier.source, who.user);
    if (nameIdentifier === null) {
      throw new WsFedRejection('NAMEID_UNAVAILABLE', `the signed-in user has no ${realm.nameIdentifier.source} to identify them to this realm`, { realm: realm.name });
    }
    const attributes: Saml11Attribute[] = [];
    for (const claim of realm.claims) {
      const value = userValue(claim.source, who.user);
      if (value !== null) attributes.push({ name: claim.name, namespace: claim.namespace, values: [value] });
    }
    if (who.multiFactor && realm.sendAuthnMethodsReferences) {
      attributes.push({ name: 'authnmethodsreferences', namespace: MS_CLAIMS_NS, values: [realm.mfaAuthenticationMethod] });
    }
    const response = await buildWsFedResponse(
      {
        appliesTo: realm.id,
        created: now,
        expires: now + durationToMs(realm.tokenLifetime),
        assertion: {
          issuer: this.settings.issuer,
          issueInstant: now,
          notBefore: now - this.settings.clockSkewMs,
          nameIdentifier: { value: nameIdentifier, format: realm.nameIdentifier.format },
          attributes,
          authentication: { method: who.multiFactor ? realm.mfaAuthenticationMethod : SAML11_AM_PASSWORD, instant: who.authnInstant },
        },
      },
      this.signer,
    );
    return { wresult: response.wresult, assertionId: response.assertionId, nameIdentifier };
  }
}
