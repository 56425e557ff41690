/**
 * The user-table columns a directory entry sets: the one mapping used by the sign-in refresh
 * (src/users) and by the bulk import (import-users.ts), so the two never disagree.
 */
import { foldUsername, type DirectoryRow, type DirectoryUser } from './directory.js';

/** The columns of a `DirectoryRow`, in its order. */
export const DIRECTORY_ROW_COLUMNS = ['username', 'external_id', 'upn', 'display_name', 'given_name', 'surname', 'email', 'phone', 'mobile', 'disabled'] as const;

/** The columns a directory entry sets, as a row (the import's form; see `DirectoryRow`). */
export function directoryRow(u: DirectoryUser): DirectoryRow {
  return [
    foldUsername(u.username),
    u.externalId,
    u.upn ?? null,
    u.displayName ?? null,
    u.givenName ?? null,
    u.surname ?? null,
    u.email ?? null,
    u.phone ?? null,
    u.mobile ?? null,
    u.disabled ? 1 : 0,
  ];
}

/** The columns a directory entry sets. */
export function directoryColumns(u: DirectoryUser) {
  const [username, external_id, upn, display_name, given_name, surname, email, phone, mobile, disabled] = directoryRow(u);
  return { username, external_id, upn, display_name, given_name, surname, email, phone, mobile, disabled };
}
