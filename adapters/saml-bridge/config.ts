/**
 * Configuration of the SAML bridge adapter (`adapters.samlBridge`). Every option carries its
 * default in its description: the README's configuration reference is generated from this
 * schema. `metadataFile:` and `signingCertFile:` are read by the host's loader into `metadata`
 * and `signingCert`.
 */
import { z } from 'zod';
import { duration } from '../../src/sdk/adapter.js';

import { durationToMs } from '../../src/sdk/adapter.js';

export { durationToMs };


const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** AuthnContextClassRefs that say the upstream IdP itself used more than one factor. */
export const DEFAULT_MFA_CLASS_REFS = [
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  'https://refeds.org/profile/mfa',
];

export const NAMEID_POLICY_FORMATS = {
  unspecified: null,
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

const passedAttributeSchema = z.strictObject({
  name: z.string().min(1).max(1024).describe('Attribute Name in the upstream assertion.'),
  as: z.string().min(1).max(1024).optional().describe('Name to pass it on under. Default: the same name.'),
});

const upstreamSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 letters, digits, dot, dash or underscore')
      .describe('Short name; relying parties of the SAML IdP adapter select it with primary: upstream:<name>.'),
    metadata: z.string().min(1).optional().describe('The upstream IdP metadata XML (use metadataFile). One of metadata, metadataUrl or entityId + ssoUrl + signingCert is required.'),
    metadataUrl: httpUrl.optional().describe('Fetch the IdP metadata from this URL (AD FS: /FederationMetadata/2007-06/FederationMetadata.xml) and refresh it; the last good copy is kept when a refresh fails. https, its server certificate verified (a private CA: NODE_EXTRA_CA_CERTS); plain http only with metadataSignerCert.'),
    metadataSignerCert: z
      .string()
      .min(1)
      .optional()
      .describe('Pinned PEM certificate(s) that must have signed the metadata document (use metadataSignerCertFile); a copy without a valid signature by one of them is refused and the last good copy kept. Required for a plain http metadataUrl. Default: none (metadata over https or from a file, unsigned).'),
    metadataRefresh: duration
      // A Node timer holds at most 2^31-1 ms (about 24.8 days).
      .refine((d) => durationToMs(d) >= 1000 && durationToMs(d) <= 2 ** 31 - 1, 'expected between 1s and 24d')
      .default('1h')
      .describe('How often metadataUrl is fetched again (1s to 24d). Default 1h.'),
    entityId: z.string().min(1).max(1024).optional().describe('The upstream entity ID (Issuer of its responses). With metadata, it must match. Default: from metadata.'),
    ssoUrl: httpUrl.optional().describe('Its single sign-on URL (HTTP-Redirect binding) when there is no metadata. Default: from metadata.'),
    signingCert: z
      .string()
      .min(1)
      .optional()
      .describe('Pinned PEM signing certificate(s) (use signingCertFile; several PEM blocks during a key rollover). When set, only these verify responses and certificates in metadata are ignored. Default: the signing certificates of the metadata.'),
    clockSkew: duration.default('60s').describe('Allowed clock difference with the upstream IdP. Default 60s.'),
    lookup: z
      .strictObject({
        from: z.string().min(1).default('nameId').describe('nameId (the Subject NameID) or the Name of an upstream attribute. Default nameId.'),
        field: z.enum(['upn', 'email', 'username']).default('upn').describe('User field it is compared with (UPN and email case-insensitively). Default upn.'),
      })
      .prefault({})
      .describe('How the upstream user is found among factorgate users (their enrolled methods).'),
    attributes: z.array(passedAttributeSchema).default([]).describe('Upstream attributes passed on to relying parties, optionally renamed; others are dropped. Default none.'),
    passAllAttributes: z.boolean().default(false).describe('Pass on every upstream attribute not listed in attributes, under its own name. Default false.'),
    trustUpstreamMfa: z.boolean().default(false).describe('Skip factorgate\'s challenge when the upstream AuthnContextClassRef is one of mfaAuthnContextClassRefs. Default false.'),
    mfaAuthnContextClassRefs: z.array(z.string().min(1)).min(1).default(DEFAULT_MFA_CLASS_REFS).describe(`Upstream contexts that count as multi-factor. Default ${DEFAULT_MFA_CLASS_REFS.join(', ')}.`),
    nameIdFormat: z.enum(['unspecified', 'emailAddress', 'persistent', 'transient']).default('unspecified').describe('NameIDPolicy Format asked for in our AuthnRequests (unspecified: none asked). Default unspecified.'),
    enrolmentPolicy: z.enum(['enroll', 'deny', 'allow']).optional().describe('What a user with no method meets, for users of this upstream. Default: the requesting relying party\'s, else challenge.enrolmentPolicy.'),
  })
  .superRefine((u, ctx) => {
    if (u.metadata !== undefined && u.metadataUrl !== undefined) ctx.addIssue({ code: 'custom', message: 'give either metadata(File) or metadataUrl, not both', path: ['metadataUrl'] });
    // Over plain http anyone on the path could swap the certificates we trust; only a signature by a pinned signer protects the document there.
    if (u.metadataUrl !== undefined && URL.canParse(u.metadataUrl) && new URL(u.metadataUrl).protocol === 'http:' && u.metadataSignerCert === undefined) {
      ctx.addIssue({ code: 'custom', message: 'plain http is refused for metadata: use https (the server certificate is verified), or sign the metadata and set metadataSignerCert', path: ['metadataUrl'] });
    }
    if (u.metadataSignerCert !== undefined && u.metadata === undefined && u.metadataUrl === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs metadata, metadataFile or metadataUrl to check', path: ['metadataSignerCert'] });
    }
    if (u.metadata === undefined && u.metadataUrl === undefined) {
      for (const key of ['entityId', 'ssoUrl', 'signingCert'] as const) {
        if (u[key] === undefined) ctx.addIssue({ code: 'custom', message: `needed when there is no metadata, metadataFile or metadataUrl`, path: [key] });
      }
    }
  });

export const samlBridgeConfigSchema = z
  .strictObject({
    entityId: z.string().min(1).max(1024).optional().describe('Our SP entity ID, as registered at the upstream IdP (the AD FS relying party trust identifier). Default <publicUrl>/saml/bridge/metadata.'),
    upstreams: z.array(upstreamSchema).min(1).describe('The upstream identity providers users sign in at first.'),
    requestLifetime: duration.default('10m').describe('How long an AuthnRequest we sent may be answered. Default 10m.'),
    maxResponseBytes: z.number().int().min(4096).max(4 * 1024 * 1024).default(256 * 1024).describe('Largest SAMLResponse accepted at /saml/bridge/acs (base64 as posted). Default 262144.'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.upstreams.forEach((u, i) => {
      if (names.has(u.name)) ctx.addIssue({ code: 'custom', message: `duplicate upstream name ${u.name}`, path: ['upstreams', i, 'name'] });
      names.add(u.name);
    });
  })
  .describe('factorgate as a SAML service provider in front of an upstream IdP (AD FS, Entra ID, Keycloak, Okta, Shibboleth): the upstream signs the user in, factorgate adds the second factor, the relying party gets factorgate\'s assertion.');

export type SamlBridgeConfig = z.output<typeof samlBridgeConfigSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
