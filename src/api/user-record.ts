/**
 * A users row as the HostApi's `UserRecord`: the one mapping, shared by the user repository and
 * the session lookup (which reads the user in the same query as the session).
 */
import type { UserRow } from '../store/schema.js';
import type { UserRecord } from './host-api.js';

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    externalId: row.external_id,
    upn: row.upn,
    displayName: row.display_name,
    givenName: row.given_name,
    surname: row.surname,
    email: row.email,
    phone: row.phone,
    mobile: row.mobile,
    // Disabled in the directory, or by an admin (which a directory refresh does not undo).
    disabled: row.disabled === 1 || row.admin_disabled === 1,
    groups: parseGroups(row.groups),
  };
}

function parseGroups(json: string | null): string[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
  } catch {
    return [];
  }
}
