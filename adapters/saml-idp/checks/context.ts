/**
 * What the checks of an inbound request (AuthnRequest or LogoutRequest) share. Each check reads
 * what the earlier ones established, adds what it establishes, and throws a `SamlRejection` to
 * stop. The order lives in one table per endpoint (`validate-request.ts`).
 */
import type { XmlElement } from '../../../src/sdk/adapter.js';
import type { ReplayCache } from '../../../src/sdk/adapter.js';
import type { DecodedMessage } from '../decode-message.js';
import type { RelyingParty, RelyingPartyRegistry } from '../relying-parties.js';
import type { Endpoint } from '../sp-metadata.js';

export interface IdpSettings {
  entityId: string;
  /** Absolute URLs of our endpoints, for the Destination check. */
  ssoUrl: string;
  sloUrl: string;
  requestMaxAgeMs: number;
}

export interface RequestedAuthnContext {
  comparison: 'exact' | 'minimum' | 'maximum' | 'better';
  classRefs: string[];
}

export interface RequestContext {
  readonly kind: 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';
  readonly message: DecodedMessage;
  readonly now: number;
  readonly idp: IdpSettings;
  readonly relyingParties: RelyingPartyRegistry;
  readonly replay: ReplayCache;
  /** The request element every value is read from: the signed bytes when XML-signed (verify-message). */
  root?: XmlElement;
  id?: string;
  issueInstant?: number;
  rp?: RelyingParty;
  signed?: boolean;
  /** AuthnRequest: the ACS the response goes to, from the RP's metadata only. */
  acs?: Endpoint;
  forceAuthn?: boolean;
  isPassive?: boolean;
  nameIdFormat?: string | undefined;
  requestedAuthnContext?: RequestedAuthnContext | undefined;
  /** LogoutRequest: whom to log out. */
  nameId?: string;
  sessionIndexes?: string[];
  /** LogoutResponse: the request it answers and its status. */
  inResponseTo?: string | undefined;
  statusCode?: string | undefined;
}

export type RequestCheck = (ctx: RequestContext) => void | Promise<void>;

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`check order: ${what} is not known yet`);
  return value;
}
