/**
 * Where primary authentication and user records come from: a YAML file for the demo, LDAP or
 * Active Directory in real deployments. Implementations never throw for a wrong password or an
 * unknown user (both answer `{ ok: false }` the same way); they throw `FactorgateError`
 * `DIRECTORY_UNAVAILABLE` when the directory cannot be reached.
 */
export interface DirectoryUser {
  /** Stable unique id from the directory (objectGUID, entryUUID, or the file's id). */
  externalId: string;
  /** The sign-in name (sAMAccountName, uid, or the file's username). */
  username: string;
  /** userPrincipalName on AD; optional elsewhere. */
  upn?: string | undefined;
  displayName?: string | undefined;
  givenName?: string | undefined;
  surname?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  mobile?: string | undefined;
  /** The account is disabled in the directory (AD userAccountControl bit 2, or the file flag). */
  disabled: boolean;
  /** Extra attributes an adapter may map into assertions (name → values). */
  attributes?: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * True when the directory's group filter leaves the user out (LDAP `groupFilter`). Sign-in
   * (`authenticate`, `find`) still knows such a user, so the host can apply
   * `directory.outsideGroup` after a right password; `list` (import) never returns them.
   */
  outsideMfaGroup?: boolean | undefined;
  /** Groups the user belongs to (names or DNs), which per-group policy rules match. */
  groups?: readonly string[] | undefined;
  /** When the password last changed (epoch ms), where the directory says (pwdLastSet, pwdChangedTime). */
  passwordChangedAt?: number | undefined;
}

export type AuthenticationResult =
  | { ok: true; user: DirectoryUser }
  | { ok: false; reason: 'INVALID_CREDENTIALS' | 'USER_DISABLED' | 'EMPTY_PASSWORD' };

/**
 * A user as the store's directory columns (user-columns.ts builds it), in this order: the bulk
 * import's unit. A tuple of strings, numbers and nulls crosses a thread as a fraction of the cost
 * of a `DirectoryUser` object, and goes into an INSERT's parameters as it is.
 */
export type DirectoryRow = [
  username: string,
  external_id: string,
  upn: string | null,
  display_name: string | null,
  given_name: string | null,
  surname: string | null,
  email: string | null,
  phone: string | null,
  mobile: string | null,
  disabled: 0 | 1,
];

export interface ListOptions {
  /** Search below this base instead of the configured ones (LDAP only). */
  base?: string;
  /** Entries per page (LDAP paged results, RFC 2696). */
  pageSize?: number;
  /** Users a directory listing on another thread may fetch ahead of the reader (LDAP: 10,000). */
  readAhead?: number;
}

export interface Directory {
  /** A short name for logs and audit ("file", "ldap"). */
  readonly kind: string;
  /** Checks a password. Unknown user and wrong password answer the same, in the same time. */
  authenticate(username: string, password: string): Promise<AuthenticationResult>;
  /** Looks a user up by sign-in name (no password). */
  find(username: string): Promise<DirectoryUser | null>;
  /** Every user in scope, page by page, for import and sync. */
  list(options?: ListOptions): AsyncIterable<DirectoryUser>;
  /**
   * Optional: the users of `list()`, in the same order, a page at a time as store rows, for the
   * bulk import (which otherwise maps `list()` itself). LDAP builds the rows on its listing
   * worker thread, so the importer's thread handles no per-user object.
   */
  listRows?(options?: ListOptions): AsyncIterable<readonly DirectoryRow[]>;
  /** Resolves when the directory answers; throws DIRECTORY_UNAVAILABLE otherwise (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Sign-in names are compared case-folded so that `JDoe` and `jdoe` are one user (UAX #15 NFKC). */
export function foldUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}
