/**
 * Attribute maps and filters for the two directory families deployments meet. A preset is a
 * starting point; every attribute can be overridden in `directory.attributes`.
 */
export type LdapPreset = 'activeDirectory' | 'openldap';

/** Directory attribute names for each field of `DirectoryUser` (an empty string turns one off). */
export interface AttributeMap {
  /** Stable unique id. `objectGUID` is binary and is rendered as a GUID string. */
  id: string;
  username: string;
  upn: string;
  displayName: string;
  givenName: string;
  surname: string;
  email: string;
  phone: string;
  mobile: string;
  /** AD account flags; bit 2 (ACCOUNTDISABLE) marks a disabled account. */
  userAccountControl: string;
  /** Group DNs the user is a member of (policy rules match a group by CN or DN). */
  groups: string;
  /** When the password last changed: AD pwdLastSet (FILETIME) or pwdChangedTime (GeneralizedTime). */
  passwordChanged: string;
}

export interface PresetDefaults {
  attributes: AttributeMap;
  userFilter: string;
  /** Attributes a sign-in name is matched against (any of them). */
  loginAttributes: string[];
}

export const PRESETS: Readonly<Record<LdapPreset, PresetDefaults>> = {
  activeDirectory: {
    attributes: {
      id: 'objectGUID',
      username: 'sAMAccountName',
      upn: 'userPrincipalName',
      displayName: 'displayName',
      givenName: 'givenName',
      surname: 'sn',
      email: 'mail',
      phone: 'telephoneNumber',
      mobile: 'mobile',
      userAccountControl: 'userAccountControl',
      groups: 'memberOf',
      passwordChanged: 'pwdLastSet',
    },
    // objectCategory=person keeps computer accounts (also objectClass=user) out.
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    loginAttributes: ['sAMAccountName', 'userPrincipalName'],
  },
  openldap: {
    attributes: {
      id: 'entryUUID',
      username: 'uid',
      upn: '',
      displayName: 'displayName',
      givenName: 'givenName',
      surname: 'sn',
      email: 'mail',
      phone: 'telephoneNumber',
      mobile: 'mobile',
      userAccountControl: '',
      groups: 'memberOf',
      passwordChanged: 'pwdChangedTime',
    },
    userFilter: '(objectClass=inetOrgPerson)',
    loginAttributes: ['uid'],
  },
};

/** AD stores objectGUID as 16 raw bytes; other ids are text. */
export const BINARY_ID_ATTRIBUTES = new Set(['objectguid']);
