/**
 * Turns a successful authentication into the signed Response for one relying party, with the
 * teammate's canonical-form emitter (`src/saml`): NameID and attributes from the user record as
 * the RP's configuration says, the authentication context and methods, the short validity
 * window, and encryption when the RP asks for it.
 */
import { createHmac } from 'node:crypto';
import type { ExternalIdentity, UserRecord } from '../../src/sdk/adapter.js';
import { bytesFromGuid } from '../../src/sdk/adapter.js';
import { AssertionEncrypter, buildSignedResponse, newSamlId, type SamlAttribute, type SamlSigner } from '../../src/sdk/adapter.js';
import { classRefFor } from './authn-context.js';
import type { RequestedAuthnContext } from './checks/context.js';
import { AMR_ATTRIBUTE, NAMEID_FORMATS, type NameIdFormatName, type NameIdSource, type UserSource } from './config.js';
import type { NameIdChoice } from './name-id-policy.js';
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
  /** Key of the pairwise identifiers (from the key ring: `host.secrets.deriveKey`). */
  pairwiseKey: Buffer;
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
  /** The NameID format chosen for this response (`chooseNameIdFormat`). */
  nameIdFormat: NameIdChoice;
  now: number;
}

export interface IssuedResponse {
  samlResponse: string;
  nameId: string;
  nameIdFormat: string;
  responseId: string;
  assertionId: string;
}

/** What NameID and attribute values are computed with, besides the user and the RP. */
export interface ValueContext {
  idpEntityId: string;
  pairwiseKey: Buffer;
}

/*
 * A persistent identifier must be opaque and distinct per relying party (SAML Core §8.3.7), so
 * two RPs cannot correlate a user by it, and not computable from the user id by whoever knows
 * the ids: an HMAC keyed from the key ring over the user id and both entity ids, stable for as
 * long as the user and the ring's oldest key exist.
 */
function pairwise(ctx: ValueContext, rp: RelyingParty, user: UserRecord): string {
  return createHmac('sha256', ctx.pairwiseKey).update(`fg-pairwise-v1\n${ctx.idpEntityId}\n${rp.entityId}\n${user.id}`).digest('base64url');
}

export function userValue(source: UserSource, user: UserRecord, ctx: ValueContext, rp: RelyingParty): string | null {
  switch (source) {
    case 'pairwise':
      return pairwise(ctx, rp, user);
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

/** Where the NameID comes from: the RP's `source` when it pinned the format, else the format's own kind of value. */
function nameIdSource(rp: RelyingParty, choice: NameIdChoice): NameIdSource | 'transient' {
  const configured = rp.config.nameId.source;
  if (choice.pinned && configured !== undefined) return configured;
  if (choice.format === 'transient') return 'transient';
  if (choice.format === 'persistent') return 'pairwise';
  if (configured !== undefined) return configured;
  if (rp.config.primary !== 'password') return 'upstreamNameId';
  return choice.format === 'emailAddress' ? 'email' : 'username';
}

export function nameIdFor(
  rp: RelyingParty,
  user: UserRecord,
  ctx: ValueContext,
  choice: NameIdChoice = { format: rp.config.nameId.format ?? 'unspecified', pinned: rp.config.nameId.format !== undefined },
  identity: ExternalIdentity | null = null,
): { value: string; format: string } {
  const from = nameIdSource(rp, choice);
  // Core §8.3.8: a transient identifier is opaque and used once; ours is 160 random bits.
  const value = from === 'transient' ? newSamlId() : from === 'upstreamNameId' ? (identity?.nameId.value ?? null) : userValue(from, user, ctx, rp);
  if (value === null) {
    throw new SamlRejection('NAMEID_UNAVAILABLE', `the user has no ${from}, which this relying party receives as NameID`, { relyingParty: rp.name, detail: `user ${user.id}` });
  }
  return { value, format: NAMEID_FORMATS[choice.format satisfies NameIdFormatName] };
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
    const values: ValueContext = { idpEntityId: this.settings.entityId, pairwiseKey: this.settings.pairwiseKey };
    const nameId = nameIdFor(rp, user, values, input.nameIdFormat, authn.identity);
    const attributes: SamlAttribute[] = [];
    // The upstream assertion's attributes (as the bridge mapped them) come first and win a name clash.
    if (authn.identity && rp.config.upstreamAttributes) {
      for (const a of authn.identity.attributes) if (a.values.length > 0 && a.name !== AMR_ATTRIBUTE) attributes.push({ name: a.name, values: [...a.values] });
    }
    const upstreamNames = new Set(attributes.map((a) => a.name));
    for (const a of rp.config.attributes) {
      if (upstreamNames.has(a.name)) continue;
      const value = userValue(a.source, user, values, rp);
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
