/**
 * Configuration of the WS-Federation adapter (`adapters.wsFed`). Realms are configured like the
 * SAML IdP's relying parties; a `preset` fills in what Entra ID or SharePoint expect, and any
 * key written next to it wins. Every option carries its default in its description: the
 * README's configuration reference is generated from this schema.
 */
import { duration, z } from '../../src/sdk/adapter.js';

/**
 * Where a value comes from: a field of the user record, or `objectGuid`: the base64 of the AD
 * objectGUID bytes (the user's `externalId`), Entra ID Connect's default ImmutableID.
 */
export const USER_SOURCES = ['username', 'upn', 'email', 'displayName', 'givenName', 'surname', 'externalId', 'id', 'objectGuid'] as const;
export type UserSource = (typeof USER_SOURCES)[number];

export const PRESETS = ['entra-id', 'sharepoint', 'custom'] as const;
export type PresetName = (typeof PRESETS)[number];

/** What Entra ID sends as wtrealm for a federated domain, and where it wants the response. */
export const ENTRA_REALM = 'urn:federation:MicrosoftOnline';
export const ENTRA_REPLY = 'https://login.microsoftonline.com/login.srf';
export const MFA_AUTHENTICATION_METHOD = 'http://schemas.microsoft.com/claims/multipleauthn';
export const PASSWORD_AUTHENTICATION_METHOD = 'urn:oasis:names:tc:SAML:1.0:am:password';

const httpsOrLocalUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const claimSchema = z.strictObject({
  name: z.string().min(1).max(256).describe('AttributeName (UPN, emailaddress, …).'),
  namespace: z.string().min(1).max(1024).describe('AttributeNamespace (http://schemas.xmlsoap.org/claims, …).'),
  source: z.enum(USER_SOURCES).describe('User field the value comes from; users without it get no such claim.'),
});
export type ClaimConfig = z.output<typeof claimSchema>;

const realmSchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('Name shown on error pages and in audit records.'),
    preset: z.enum(PRESETS).default('custom').describe('entra-id (Microsoft 365 federated domain), sharepoint (SharePoint trusted identity provider) or custom: fills in realm, replyUrls, nameIdentifier and claims that are not given. Default custom.'),
    realm: z.string().min(1).max(1024).optional().describe('The wtrealm the relying party sends (also the Audience). Default for entra-id urn:federation:MicrosoftOnline; required otherwise.'),
    replyUrls: z.array(httpsOrLocalUrl).min(1).optional().describe('Where responses may be posted: a wreply outside this list is refused; the first is used when there is no wreply. Default for entra-id https://login.microsoftonline.com/login.srf; required otherwise.'),
    nameIdentifier: z
      .strictObject({
        source: z.enum(USER_SOURCES).optional().describe('User field carried as NameIdentifier. Default objectGuid for entra-id (the ImmutableID), upn otherwise.'),
        format: z.string().min(1).max(256).optional().describe('NameIdentifier Format. Default urn:oasis:names:tc:SAML:2.0:nameid-format:persistent for entra-id, urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified otherwise.'),
      })
      .prefault({})
      .describe('The Subject NameIdentifier.'),
    immutableIdSource: z.enum(USER_SOURCES).default('objectGuid').describe('entra-id: where the ImmutableID (NameIdentifier and ImmutableID claim) comes from: objectGuid (base64 of the AD objectGUID, the Entra Connect default) or another user field holding the sourceAnchor. Default objectGuid.'),
    claims: z.array(claimSchema).optional().describe('Attributes sent, each from a user field. Default for entra-id UPN and ImmutableID; for sharepoint UPN and emailaddress; for custom UPN, emailaddress and name.'),
    mfaAuthenticationMethod: z.string().min(1).default(MFA_AUTHENTICATION_METHOD).describe(`AuthenticationMethod after a second factor (also sent as the authnmethodsreferences claim). Default ${MFA_AUTHENTICATION_METHOD}.`),
    sendAuthnMethodsReferences: z.boolean().default(true).describe('Send the authnmethodsreferences claim (http://schemas.microsoft.com/claims) naming multipleauthn after a second factor; Entra ID federatedIdpMfaBehavior reads it. Default true.'),
    tokenLifetime: duration.default('1h').describe('Token validity (Lifetime and Conditions NotOnOrAfter). Default 1h.'),
  })
  .superRefine((r, ctx) => {
    if (r.preset !== 'entra-id') {
      if (r.realm === undefined) ctx.addIssue({ code: 'custom', message: `preset ${r.preset} needs realm (the wtrealm the application sends)`, path: ['realm'] });
      if (r.replyUrls === undefined) ctx.addIssue({ code: 'custom', message: `preset ${r.preset} needs replyUrls (where responses may be posted)`, path: ['replyUrls'] });
    }
  });
export type RealmConfig = z.output<typeof realmSchema>;

export const wsFedConfigSchema = z
  .strictObject({
    issuer: z.string().min(1).max(1024).optional().describe('The STS identifier (assertion Issuer, metadata entityID; Entra ID IssuerUri). Default <publicUrl>/wsfed.'),
    realms: z.array(realmSchema).default([]).describe('The relying parties (realms) allowed to sign in here. Default none.'),
    clockSkew: duration.default('30s').describe('NotBefore is this far in the past, for relying-party clocks slightly behind. Default 30s.'),
    maxContextBytes: z.number().int().min(256).max(65536).default(8192).describe('Longest wctx accepted and echoed (Entra ID sends about 1-2 KB). Default 8192.'),
    demoRelyingParty: z.boolean().default(false).describe('Serve the built-in demo WS-Federation relying party under /wsfed/demo-rp/ (the npm start demo). Default false.'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const realms = new Set<string>();
    c.realms.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', message: `duplicate realm name ${r.name}`, path: ['realms', i, 'name'] });
      names.add(r.name);
      const id = r.realm ?? (r.preset === 'entra-id' ? ENTRA_REALM : '');
      if (id !== '' && realms.has(id)) ctx.addIssue({ code: 'custom', message: `two realms answer to wtrealm ${id}`, path: ['realms', i, 'realm'] });
      realms.add(id);
    });
  })
  .describe('factorgate as a WS-Federation passive identity provider (Microsoft 365 / Entra ID federated domains, SharePoint): realms send users to /wsfed to sign in with a password and a second factor.');

export type WsFedConfig = z.output<typeof wsFedConfigSchema>;
