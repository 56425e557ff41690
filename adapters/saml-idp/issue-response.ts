/**
 * Turns a successful authentication into the signed Response for one relying party, with the
 * teammate's canonical-form emitter (`src/saml`): NameID and attributes from the user record as
 * the RP's configuration says, the authentication context and methods, the short validity
 * window, and encryption when the RP asks for it.
 */
import { createHash } from 'node:crypto';
import type { ExternalIdentity, UserRecord } from '../../src/host/host-api.js';
import { bytesFromGuid } from '../../src/directory/ldap/map-entry.js';
import { AssertionEncrypter, buildSignedResponse, newSamlId, type SamlAttribute, type SamlSigner } from '../../src/saml/index.js';
import { classRefFor } from './authn-context.js';
import type { RequestedAuthnContext } from './checks/context.js';
import { AMR_ATTRIBUTE, NAMEID_FORMATS, type NameIdSource, type UserSource } from './config.js';
import type { RelyingParty } from './relying-parties.js';
import { SamlRejection } from './rejection.js';
import type { Endpoint } from './sp-metadata.js';

/* What AD FS sends in authnmethodsreferences; Entra ID's federated MFA looks for multipleauthn. */
const AMR_PASSWORD = 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password';
const AMR_MULTIPLE = 'http://schemas.microsoft.com/claims/multipleauthn';
const AMR_OTP = 'http://schemas.microsoft.com/ws/2012/12/authmethod/otp';

export interface IssueSettings {
  entityId: string;
  responseLifetimeMs: number;
  clockSkewMs: number;
}

export interface Authentication {
  methods: readonly string[];
  multiFactor: boolean;
  authnInstant: number;
  sessionIndex: string;
  sessionExpiresAt: number;
  /** The upstream IdP's subject and attributes, when the user signed in there (the bridge). */
  identity: ExternalIdentity | null;
}

export interface IssueInput {
  rp: RelyingParty;
  acs: Endpoint;
  user: UserRecord;
  authn: Authentication;
  inResponseTo: string | undefined;
  requestedAuthnContext: RequestedAuthnContext | undefined;
  now: number;
}

export interface IssuedResponse {
  samlResponse: string;
  nameId: string;
  nameIdFormat: string;
  responseId: string;
  assertionId: string;
}

/*
 * A persistent identifier must be opaque and distinct per relying party (SAML Core §8.3.7), so
 * two RPs cannot correlate a user by it; it is derived from the store's user id, stable for as
 * long as the user exists.
 */
function pairwise(idpEntityId: string, rp: RelyingParty, user: UserRecord): string {
  return createHash('sha256').update(`${idpEntityId}\n${rp.entityId}\n${user.id}`).digest('base64url');
}

export function userValue(source: UserSource, user: UserRecord, idpEntityId: string, rp: RelyingParty): string | null {
  switch (source) {
    case 'pairwise':
      return pairwise(idpEntityId, rp, user);
    case 'id':
      return user.id;
    case 'immutableId': {
      // Entra ID Connect's default sourceAnchor: base64 of objectGUID's 16 bytes as stored.
      const bytes = user.externalId === null ? null : bytesFromGuid(user.externalId);
      return bytes === null ? null : bytes.toString('base64');
    }
    default: {
      const v = user[source];
      return typeof v === 'string' && v !== '' ? v : null;
    }
  }
}

export function nameIdFor(rp: RelyingParty, user: UserRecord, idpEntityId: string, identity: ExternalIdentity | null = null): { value: string; format: string } {
  const { format, source } = rp.config.nameId;
  const from: NameIdSource =
    source ??
    (rp.config.primary !== 'password' ? 'upstreamNameId' : format === 'persistent' || format === 'transient' ? 'pairwise' : format === 'emailAddress' ? 'email' : 'username');
  const value = from === 'upstreamNameId' ? (identity?.nameId.value ?? null) : userValue(from, user, idpEntityId, rp);
  if (value === null) {
    throw new SamlRejection('NAMEID_UNAVAILABLE', `the user has no ${from}, which this relying party receives as NameID`, { relyingParty: rp.name, detail: `user ${user.id}` });
  }
  return { value, format: NAMEID_FORMATS[format] };
}

export function amrValues(methods: readonly string[], multiFactor: boolean): string[] {
  const values = [AMR_PASSWORD];
  if (methods.some((m) => m === 'totp' || m === 'oath' || m === 'sms' || m === 'voice' || m === 'email')) values.push(AMR_OTP);
  for (const m of methods) values.push(`urn:factorgate:method:${m}`);
  if (multiFactor) values.push(AMR_MULTIPLE);
  return values;
}

export class ResponseIssuer {
  readonly #encrypters = new Map<string, AssertionEncrypter>();

  constructor(
    private readonly settings: IssueSettings,
    private readonly signer: SamlSigner,
  ) {}

  #encrypterFor(rp: RelyingParty): AssertionEncrypter {
    const pem = rp.encryptionCert;
    if (pem === null) throw new SamlRejection('CONFIG', 'encrypted assertions are configured but the relying party has no encryption certificate', { relyingParty: rp.name });
    const key = `${rp.config.encryptionAlgorithm}\n${pem}`;
    let enc = this.#encrypters.get(key);
    if (!enc) {
      enc = new AssertionEncrypter({ certificatePem: pem, contentAlgorithm: rp.config.encryptionAlgorithm });
      this.#encrypters.set(key, enc);
    }
    return enc;
  }

  async issue(input: IssueInput): Promise<IssuedResponse> {
    const { rp, acs, user, authn, now } = input;
    const nameId = nameIdFor(rp, user, this.settings.entityId, authn.identity);
    const attributes: SamlAttribute[] = [];
    // The upstream assertion's attributes (as the bridge mapped them) come first and win a name clash.
    if (authn.identity && rp.config.upstreamAttributes) {
      for (const a of authn.identity.attributes) if (a.values.length > 0 && a.name !== AMR_ATTRIBUTE) attributes.push({ name: a.name, values: [...a.values] });
    }
    const upstreamNames = new Set(attributes.map((a) => a.name));
    for (const a of rp.config.attributes) {
      if (upstreamNames.has(a.name)) continue;
      const value = userValue(a.source, user, this.settings.entityId, rp);
      if (value === null) continue;
      attributes.push({ name: a.name, values: [value], ...(a.friendlyName ? { friendlyName: a.friendlyName } : {}), ...(a.nameFormat ? { nameFormat: a.nameFormat } : {}) });
    }
    if (rp.config.sendAuthnMethodsReferences) attributes.push({ name: AMR_ATTRIBUTE, values: amrValues(authn.methods, authn.multiFactor) });
    const responseId = newSamlId();
    const assertionId = newSamlId();
    const notOnOrAfter = now + this.settings.responseLifetimeMs;
    // SP metadata WantAssertionsSigned (Metadata §2.4.4) overrides a response-only setting.
    const sign = rp.config.sign === 'response' && (rp.wantAssertionsSigned || rp.config.encryptAssertion) ? 'both' : rp.config.sign;
    const xml = await buildSignedResponse(
      {
        responseId,
        assertionId,
        issueInstant: now,
        destination: acs.url,
        ...(input.inResponseTo === undefined ? {} : { inResponseTo: input.inResponseTo }),
        issuer: this.settings.entityId,
        nameId: { value: nameId.value, format: nameId.format, ...(nameId.format === NAMEID_FORMATS.persistent ? { nameQualifier: this.settings.entityId, spNameQualifier: rp.entityId } : {}) },
        subjectConfirmation: { recipient: acs.url, notOnOrAfter },
        conditions: { notBefore: now - this.settings.clockSkewMs, notOnOrAfter, audiences: [rp.entityId] },
        authnStatement: {
          authnInstant: authn.authnInstant,
          sessionIndex: authn.sessionIndex,
          sessionNotOnOrAfter: authn.sessionExpiresAt,
          authnContextClassRef: classRefFor(input.requestedAuthnContext, authn.multiFactor, rp.config.mfaAuthnContextClassRef),
        },
        attributes,
      },
      this.signer,
      { sign, ...(rp.config.encryptAssertion ? { encryptAssertion: this.#encrypterFor(rp) } : {}) },
    );
    return { samlResponse: Buffer.from(xml, 'utf8').toString('base64'), nameId: nameId.value, nameIdFormat: nameId.format, responseId, assertionId };
  }
}
