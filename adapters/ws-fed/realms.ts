/**
 * The configured realms with their presets applied: what each relying party is sent and where.
 *
 * Entra ID (a federated Microsoft 365 domain, as AD FS served it): NameIdentifier = ImmutableID
 * (persistent), the `UPN` claim in http://schemas.xmlsoap.org/claims and `ImmutableID` in
 * http://schemas.microsoft.com/LiveID/Federation/2008/05, the namespaces of the AD FS relying
 * party trust Entra Connect creates. SharePoint (a trusted identity token issuer): UPN and email,
 * the identifier claim SharePoint is usually told to use.
 */
import { ENTRA_REALM, ENTRA_REPLY, type ClaimConfig, type RealmConfig, type UserSource } from './config.js';

export const CLAIMS_NS = 'http://schemas.xmlsoap.org/claims';
export const LIVEID_NS = 'http://schemas.microsoft.com/LiveID/Federation/2008/05';
export const IDENTITY_CLAIMS_NS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
export const MS_CLAIMS_NS = 'http://schemas.microsoft.com/claims';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

export interface Realm {
  name: string;
  /** The wtrealm and Audience. */
  id: string;
  replyUrls: readonly string[];
  nameIdentifier: { source: UserSource; format: string };
  claims: readonly ClaimConfig[];
  mfaAuthenticationMethod: string;
  sendAuthnMethodsReferences: boolean;
  tokenLifetime: string;
}

function defaultClaims(config: RealmConfig): ClaimConfig[] {
  switch (config.preset) {
    case 'entra-id':
      return [
        { name: 'UPN', namespace: CLAIMS_NS, source: 'upn' },
        { name: 'ImmutableID', namespace: LIVEID_NS, source: config.immutableIdSource },
      ];
    case 'sharepoint':
      return [
        { name: 'upn', namespace: IDENTITY_CLAIMS_NS, source: 'upn' },
        { name: 'emailaddress', namespace: IDENTITY_CLAIMS_NS, source: 'email' },
      ];
    default:
      return [
        { name: 'upn', namespace: IDENTITY_CLAIMS_NS, source: 'upn' },
        { name: 'emailaddress', namespace: IDENTITY_CLAIMS_NS, source: 'email' },
        { name: 'name', namespace: IDENTITY_CLAIMS_NS, source: 'username' },
      ];
  }
}

export function resolveRealm(config: RealmConfig): Realm {
  const entra = config.preset === 'entra-id';
  return {
    name: config.name,
    // The schema refuses a non-Entra realm without realm and replyUrls.
    id: config.realm ?? ENTRA_REALM,
    replyUrls: config.replyUrls ?? [ENTRA_REPLY],
    nameIdentifier: {
      source: config.nameIdentifier.source ?? (entra ? config.immutableIdSource : 'upn'),
      format: config.nameIdentifier.format ?? (entra ? PERSISTENT : UNSPECIFIED),
    },
    claims: config.claims ?? defaultClaims(config),
    mfaAuthenticationMethod: config.mfaAuthenticationMethod,
    sendAuthnMethodsReferences: config.sendAuthnMethodsReferences,
    tokenLifetime: config.tokenLifetime,
  };
}

/** Realms by their wtrealm. */
export class RealmRegistry {
  readonly #byId = new Map<string, Realm>();
  readonly #byName = new Map<string, Realm>();

  constructor(configs: readonly RealmConfig[]) {
    for (const c of configs) {
      const realm = resolveRealm(c);
      this.#byId.set(realm.id, realm);
      this.#byName.set(realm.name, realm);
    }
  }

  byId(id: string): Realm | undefined {
    return this.#byId.get(id);
  }

  byName(name: string): Realm | undefined {
    return this.#byName.get(name);
  }
}

/**
 * The reply URL to post to: `wreply` when it is exactly one of the realm's reply URLs (no prefix
 * or host matching: an allowlist of whole URLs is what stops open redirects), else the first.
 */
export function replyUrlFor(realm: Realm, wreply: string | undefined): string | null {
  if (wreply === undefined) return realm.replyUrls[0]!;
  return realm.replyUrls.includes(wreply) ? wreply : null;
}
