/**
 * Configuration of the SAML IdP adapter (`adapters.samlIdp`). Every option carries its default
 * in its description: the README's configuration reference is generated from this schema.
 * `metadataFile:` and `certFile:` are read by the host's loader into `metadata` and `cert`.
 */
import { z } from 'zod';
import { duration } from '../../src/sdk/adapter.js';

export const NAMEID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;
export type NameIdFormatName = keyof typeof NAMEID_FORMATS;

/**
 * Where a value comes from: a field of the user record, a pairwise opaque identifier, or
 * `immutableId`: the base64 of the AD objectGUID bytes, the ImmutableID Entra ID matches on.
 */
export const USER_SOURCES = ['username', 'upn', 'email', 'displayName', 'givenName', 'surname', 'phone', 'mobile', 'externalId', 'id', 'pairwise', 'immutableId'] as const;
export type UserSource = (typeof USER_SOURCES)[number];

export const MFA_CLASS_REF = 'http://schemas.microsoft.com/claims/multipleauthn';
export const PASSWORD_CLASS_REF = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const AMR_ATTRIBUTE = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const attributeSchema = z.strictObject({
  name: z.string().min(1).describe('Attribute Name as the relying party expects it (a URI such as http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn).'),
  source: z.enum(USER_SOURCES).describe('User field the value comes from.'),
  friendlyName: z.string().min(1).optional().describe('Optional FriendlyName. Default none.'),
  nameFormat: z.string().min(1).optional().describe('NameFormat. Default urn:oasis:names:tc:SAML:2.0:attrname-format:uri.'),
});

export const DEFAULT_ATTRIBUTES: z.input<typeof attributeSchema>[] = [
  { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', source: 'upn' },
  { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', source: 'email' },
  { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', source: 'username' },
  { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', source: 'givenName' },
  { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', source: 'surname' },
  { name: 'http://schemas.microsoft.com/identity/claims/displayname', source: 'displayName' },
];

const endpointSchema = z.strictObject({
  url: httpUrl.describe('Endpoint URL.'),
  binding: z.enum(['post', 'redirect']).default('post').describe('post (HTTP-POST) or redirect (HTTP-Redirect). Default post.'),
  index: z.number().int().min(0).max(65535).optional().describe('ACS index (AssertionConsumerServiceIndex). Default: position in the list.'),
});

export const relyingPartySchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('Name shown on error pages and in audit records.'),
    entityId: z.string().min(1).max(1024).optional().describe('The SP entity ID (Issuer of its requests, Audience of our assertions). Default: from its metadata.'),
    metadata: z.string().min(1).optional().describe('The SP metadata XML (use metadataFile). One of metadata, metadataUrl or entityId + acs is required.'),
    metadataUrl: httpUrl.optional().describe('Fetch the SP metadata from this URL and refresh it on a schedule; the last good copy is kept when a refresh fails.'),
    metadataRefresh: duration.default('1h').describe('How often metadataUrl is fetched again. Default 1h.'),
    acs: z.array(endpointSchema).min(1).optional().describe('Assertion consumer services when there is no metadata (only these URLs are ever used). Default: from metadata.'),
    slo: endpointSchema.omit({ index: true }).optional().describe('Single logout endpoint when there is no metadata. Default: from metadata, else none.'),
    cert: z.string().min(1).optional().describe('PEM certificate the SP signs its requests with (use certFile). Default: from metadata.'),
    encryptionCert: z.string().min(1).optional().describe('PEM certificate to encrypt assertions to (use encryptionCertFile). Default: from metadata (use="encryption").'),
    requireSignedRequests: z.boolean().default(false).describe('Refuse unsigned AuthnRequests and LogoutRequests. Also on when the metadata says AuthnRequestsSigned="true". Default false.'),
    nameId: z
      .strictObject({
        format: z
          .enum(['persistent', 'emailAddress', 'unspecified', 'transient'])
          .optional()
          .describe('Pins the NameID format: a request for another (but unspecified) gets InvalidNameIDPolicy. Default not pinned: unspecified, or transient/persistent when the AuthnRequest NameIDPolicy asks for it.'),
        source: z
          .enum([...USER_SOURCES, 'upstreamNameId'])
          .optional()
          .describe('User field carried as NameID (e.g. upn; immutableId for Entra ID federation), or upstreamNameId: the NameID the upstream IdP asserted (primary upstream:<name> only). Default: upstreamNameId when primary is upstream:<name>, else pairwise for persistent, a fresh random id for transient, email for emailAddress, username otherwise; a transient or persistent format the request asked for (not pinned) ignores source.'),
      })
      .prefault({})
      .describe('The Subject NameID.'),
    attributes: z.array(attributeSchema).default(DEFAULT_ATTRIBUTES as never).describe('Attributes sent, each from a user field; empty values are left out. Default: upn, email, name, given name, surname, display name with the Microsoft claim URIs.'),
    sign: z.enum(['assertion', 'response', 'both']).default('both').describe('What is signed (RSA-SHA256). Default both.'),
    encryptAssertion: z.boolean().default(false).describe('Encrypt the assertion to the SP encryption certificate (AES-256-GCM, RSA-OAEP). Default false.'),
    encryptionAlgorithm: z.enum(['aes256-gcm', 'aes256-cbc']).default('aes256-gcm').describe('Content encryption when encryptAssertion is on; aes256-cbc for SPs without GCM (older AD FS). Default aes256-gcm.'),
    mfaAuthnContextClassRef: z.string().min(1).default(MFA_CLASS_REF).describe(`AuthnContextClassRef after a second factor. Default ${MFA_CLASS_REF}.`),
    sendAuthnMethodsReferences: z.boolean().default(true).describe(`Send ${AMR_ATTRIBUTE} listing the methods used. Default true.`),
    primary: z
      .string()
      .regex(/^(password|upstream:[A-Za-z0-9._-]+)$/, 'expected password or upstream:<name>')
      .default('password')
      .describe('Primary authentication before the second factor: password (the /login page, checked against the directory) or upstream:<name> (the SAML bridge sends the user to that upstream IdP first). Default password.'),
    upstreamAttributes: z
      .boolean()
      .default(true)
      .describe('With primary upstream:<name>: send the attributes the bridge passed on from the upstream assertion; a configured attribute of the same Name is then left out. Default true.'),
    allowIdpInitiated: z.boolean().default(false).describe('Allow IdP-initiated sign-in (GET /saml/idp/sso?rp=<name>). Default false.'),
    idpInitiatedRelayState: z.string().max(80).optional().describe('RelayState sent with IdP-initiated responses (the SP landing page). Default none.'),
  })
  .superRefine((rp, ctx) => {
    const sources = [rp.metadata !== undefined, rp.metadataUrl !== undefined].filter(Boolean).length;
    if (sources > 1) ctx.addIssue({ code: 'custom', message: 'give either metadata(File) or metadataUrl, not both', path: ['metadataUrl'] });
    if (sources === 0 && (rp.entityId === undefined || rp.acs === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs metadata, metadataFile or metadataUrl, or entityId with acs', path: ['acs'] });
    }
    if (rp.encryptAssertion && sources === 0 && rp.encryptionCert === undefined) {
      ctx.addIssue({ code: 'custom', message: 'encryptAssertion needs encryptionCert or metadata with an encryption key', path: ['encryptionCert'] });
    }
  });

export const samlIdpConfigSchema = z
  .strictObject({
    entityId: z.string().min(1).max(1024).optional().describe('The IdP entity ID. Default <publicUrl>/saml/idp/metadata.'),
    relyingParties: z.array(relyingPartySchema).default([]).describe('The relying parties (SAML service providers) allowed to sign in here. Default none.'),
    responseLifetime: duration.default('5m').describe('Assertion validity (NotOnOrAfter after issue). Default 5m.'),
    clockSkew: duration.default('30s').describe('NotBefore is this far in the past, for SP clocks slightly behind. Default 30s.'),
    requestMaxAge: duration.default('5m').describe('Refuse AuthnRequests whose IssueInstant is older than this (or as far in the future). Default 5m.'),
    maxMessageBytes: z.number().int().min(1024).max(1024 * 1024).default(64 * 1024).describe('Largest encoded SAMLRequest accepted (query or form). Default 65536.'),
    maxInflatedBytes: z.number().int().min(1024).max(1024 * 1024).default(128 * 1024).describe('Largest HTTP-Redirect message after inflating (deflate bombs stop here). Default 131072.'),
    demoRelyingParty: z.boolean().default(false).describe('Serve the built-in demo relying party under /saml/idp/demo-rp/ (the npm start demo). Default false.'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.relyingParties.forEach((rp, i) => {
      if (names.has(rp.name)) ctx.addIssue({ code: 'custom', message: `duplicate relying party name ${rp.name}`, path: ['relyingParties', i, 'name'] });
      names.add(rp.name);
    });
  })
  .describe('factorgate as a SAML 2.0 identity provider: relying parties send users here to sign in with a password and a second factor.');

export type SamlIdpConfig = z.output<typeof samlIdpConfigSchema>;
export type RelyingPartyConfig = z.output<typeof relyingPartySchema>;
export type AttributeConfig = z.output<typeof attributeSchema>;
export type NameIdSource = NonNullable<RelyingPartyConfig['nameId']['source']>;

export const BINDINGS = { post: BINDING_POST, redirect: BINDING_REDIRECT } as const;
