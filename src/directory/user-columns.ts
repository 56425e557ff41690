/**
 * The user-table columns a directory entry sets: the one mapping used by the sign-in refresh
 * (src/users) and by the bulk import (import-users.ts), so the two never disagree.
 */
import { foldUsername, type DirectoryUser } from './directory.js';

/** The columns a directory entry sets. */
export function directoryColumns(u: DirectoryUser) {
  return {
    username: foldUsername(u.username),
    external_id: u.externalId,
    upn: u.upn ?? null,
    display_name: u.displayName ?? null,
    given_name: u.givenName ?? null,
    surname: u.surname ?? null,
    email: u.email ?? null,
    phone: u.phone ?? null,
    mobile: u.mobile ?? null,
    disabled: u.disabled ? 1 : 0,
  };
}
