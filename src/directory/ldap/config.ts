/**
 * The `directory` section when `type: ldap`: Active Directory or any LDAPv3 server. The lead's
 * root schema uses this as one branch of the `type`-discriminated union; the README's
 * configuration reference is generated from the `.describe()` texts, so each states its default.
 */
import { z } from 'zod';
import { FilterParser } from 'ldapts';
import { DURATION, durationToMs } from '../../kit/durations.js';


function isParsableFilter(f: string): boolean {
  try {
    FilterParser.parseString(f.trim().startsWith('(') ? f : `(${f})`);
    return true;
  } catch {
    return false;
  }
}

const QUOTE_HINT = 'in YAML, quote a DN inside [ ]: a bare one is split at its commas';

/** A DN is a comma-separated list of attribute=value pairs (RFC 4514 §2): a string with no `=` is none. */
const baseDn = z
  .string()
  .min(1)
  .refine((dn) => /^[^=,]+=/.test(dn.trim()), { message: `expected a DN such as OU=Staff,DC=corp,DC=example (${QUOTE_HINT})` });

/** True when the DN has a single RDN (no unescaped comma). */
function isSingleRdn(dn: string): boolean {
  return !/(^|[^\\]),/.test(dn);
}

/**
 * The YAML flow list `[OU=Staff,DC=corp,DC=example]` is three one-RDN strings, not one DN. A
 * one-RDN base DN is a naming context's root (`dc=example`, `o=corp`), which already holds every
 * other base: after another entry it can only be such a split, and would search the wrong tree.
 */
const baseDns = z
  .array(baseDn)
  .min(1)
  .superRefine((dns, ctx) => {
    if (dns.length > 1 && dns.slice(1).some(isSingleRdn)) {
      ctx.addIssue({ code: 'custom', message: `looks like one DN split into ${dns.length} at its commas (${QUOTE_HINT}): write ["${dns.join(',')}"]` });
    }
  });

const filter = z.string().min(1).refine(isParsableFilter, { message: 'not a valid LDAP filter (RFC 4515)' });
const attributeName = z.string().regex(/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)?$/, 'not an LDAP attribute name');

const attributeOverrides = z
  .object({
    id: attributeName.optional().describe('Unique, never-changing id. Default: objectGUID (AD), entryUUID (openldap).'),
    username: attributeName.optional().describe('Sign-in name stored in factorgate. Default: sAMAccountName (AD), uid (openldap).'),
    upn: attributeName.optional().describe('User principal name. Default: userPrincipalName (AD), none (openldap).'),
    displayName: attributeName.optional().describe('Display name. Default: displayName.'),
    givenName: attributeName.optional().describe('First name. Default: givenName.'),
    surname: attributeName.optional().describe('Last name. Default: sn.'),
    email: attributeName.optional().describe('Email address for the email factor. Default: mail.'),
    phone: attributeName.optional().describe('Phone for voice calls. Default: telephoneNumber.'),
    mobile: attributeName.optional().describe('Mobile for SMS. Default: mobile.'),
    userAccountControl: attributeName
      .optional()
      .describe('AD account flags; bit 2 marks a disabled account. Default: userAccountControl (AD), none (openldap).'),
    groups: attributeName.optional().describe('Group memberships (DNs) that policy rules match by their CN or DN; an empty string turns it off. Default: memberOf.'),
    passwordChanged: attributeName
      .optional()
      .describe('When the password last changed; a newer value revokes remembered devices. Default: pwdLastSet (AD), pwdChangedTime (openldap).'),
  })
  .strict();

const tls = z
  .object({
    ca: z.string().optional().describe('PEM of the CA that signed the directory\'s certificate (what `caFile` is read into). Default: the system CAs.'),
    caFile: z.string().optional().describe('Path of a PEM file with the CA that signed the directory\'s certificate. Default: the system CAs.'),
    startTls: z.boolean().default(false).describe('Upgrade `ldap://` connections with StartTLS (RFC 4511 §4.14) before binding. Default: false.'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a certificate that does not chain to the CA or does not name the host. Default: true; false only for tests.'),
    servername: z
      .string()
      .optional()
      .describe('Host name to check in the certificate when the URL uses an IP address. Default: the URL host.'),
  })
  .strict();

const timeouts = z
  .object({
    connectMs: z.number().int().min(100).max(120_000).default(5000).describe('TCP (and TLS) connect timeout per server, in ms. Default: 5000.'),
    operationMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe('Time allowed for one bind, search or search page before the server counts as down, in ms. Default: 10000.'),
    retryPrimaryMs: z
      .number()
      .int()
      .min(1000)
      .max(86_400_000)
      .default(60_000)
      .describe('While a fallback server is in use, how often the servers before it are tried again, in ms. Default: 60000.'),
  })
  .strict();

const sync = z
  .object({
    interval: z
      .string()
      .regex(DURATION, 'a duration such as 30m, 1h or 1d')
      .refine((s) => durationToMs(s) >= 60_000, 'at least 1m')
      .nullable()
      .default(null)
      .describe('Re-import users from the directory this often (e.g. 1h); null turns the scheduled sync off. Default: null.'),
  })
  .strict();

export const ldapDirectoryConfigSchema = z
  .object({
    type: z.literal('ldap').describe('Primary authentication and users from an LDAP directory or Active Directory.'),
    urls: z
      .array(z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/i, 'an ldap:// or ldaps:// URL with host and optional port'))
      .min(1)
      .describe('Directory servers, tried in order: the next one is used when one does not answer. Required.'),
    bindDn: z
      .string()
      .min(1)
      .optional()
      .describe('DN (or AD user@domain) of the service account that searches the directory. Default: anonymous search.'),
    bindPassword: z
      .string()
      .optional()
      .describe('Password of the service account; prefer `bindPasswordFile`. Required with bindDn.'),
    baseDns: baseDns.describe('Where users are searched (subtree of each, in order); quote each DN in YAML (["OU=Staff,DC=corp,DC=example"]). Required.'),
    preset: z
      .enum(['activeDirectory', 'openldap'])
      .default('activeDirectory')
      .describe('Attribute names and filters of the directory family: activeDirectory or openldap. Default: activeDirectory.'),
    userFilter: filter
      .optional()
      .describe('Which entries are users. Default: (&(objectCategory=person)(objectClass=user)) (AD), (objectClass=inetOrgPerson) (openldap).'),
    groupFilter: filter
      .optional()
      .describe(
        'Further limits users, e.g. to a group: (memberOf=CN=MFA-Users,OU=Groups,DC=corp,DC=example); on AD (memberOf:1.2.840.113556.1.4.1941:=…) includes nested groups. Default: none.',
      ),
    outsideGroup: z
      .enum(['deny', 'allow'])
      .default('deny')
      .describe('A user whose password is right but whom groupFilter excludes: deny (told so, audited NOT_IN_MFA_GROUP) or allow (password only, audited). Default deny.'),
    loginAttributes: z
      .array(attributeName)
      .min(1)
      .optional()
      .describe('Attributes a sign-in name is matched against. Default: sAMAccountName and userPrincipalName (AD), uid (openldap).'),
    attributes: attributeOverrides.prefault({}).describe('Overrides of the preset\'s attribute names. Default: the preset\'s.'),
    extraAttributes: z
      .array(attributeName)
      .default([])
      .describe('More attributes to read and hand to adapters for assertions (e.g. department). Default: none.'),
    tls: tls.prefault({}).describe('TLS for ldaps:// and StartTLS.'),
    timeouts: timeouts.prefault({}).describe('How long a server may take before the next one is tried.'),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Entries per page in imports (RFC 2696 paged results; AD caps pages at 1000). Default: 500.'),
    maxListEntries: z
      .number()
      .int()
      .min(1)
      .default(5_000_000)
      .describe('Most entries one import search below a base DN may return; more fails the import (a server that pages for ever). Default: 5,000,000.'),
    sync: sync.prefault({}).describe('Scheduled re-import.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.bindDn !== undefined && (c.bindPassword === undefined || c.bindPassword === '')) {
      // RFC 4513 §5.1.2: a DN with an empty password is an unauthenticated bind, which many
      // servers answer with success; it would silently search anonymously.
      ctx.addIssue({ code: 'custom', path: ['bindPassword'], message: 'bindPassword (or bindPasswordFile) is required with bindDn' });
    }
    if (c.tls.startTls && c.urls.some((u) => /^ldaps:/i.test(u))) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'startTls'], message: 'startTls applies to ldap:// URLs; ldaps:// is already TLS' });
    }
    if (c.tls.ca !== undefined && c.tls.caFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'caFile'], message: 'give either ca or caFile, not both' });
    }
  });

export type LdapDirectoryConfigInput = z.input<typeof ldapDirectoryConfigSchema>;
export type LdapDirectoryConfig = z.output<typeof ldapDirectoryConfigSchema>;
