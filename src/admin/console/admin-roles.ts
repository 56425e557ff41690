/**
 * Who holds which console role (`admin.roles`): named usernames, or members of named directory
 * groups (the user's `memberOf` values, compared to a group's full DN or its first RDN value,
 * case-insensitively). `admin` includes everything `helpdesk` may do.
 */
import type { HostConfig } from '../../config/schema.js';
import { foldUsername } from '../../directory/directory.js';

export type ConsoleRole = 'helpdesk' | 'admin';

const RANK: Record<ConsoleRole, number> = { helpdesk: 1, admin: 2 };

/** Whether `held` may open what `needed` guards. */
export function roleAllows(held: ConsoleRole, needed: ConsoleRole): boolean {
  return RANK[held] >= RANK[needed];
}

export function isConsoleRole(value: string): value is ConsoleRole {
  return value === 'helpdesk' || value === 'admin';
}

/** `CN=FG Helpdesk,OU=Groups,DC=corp` → `fg helpdesk`: the value of the first RDN, folded. */
function firstRdnValue(dn: string): string | null {
  const m = /^\s*[a-z][a-z0-9-]*\s*=\s*((?:\\.|[^,+\\])*)/i.exec(dn);
  return m ? m[1]!.replace(/\\(.)/g, '$1').trim().toLowerCase() : null;
}

/**
 * A configured group named by its full DN matches only that DN (a namesake elsewhere in the
 * tree does not); one named by a plain name matches a membership whose first RDN has that value.
 */
export function inGroup(configured: string, memberOf: readonly string[]): boolean {
  const want = configured.trim().toLowerCase();
  const isDn = firstRdnValue(want) !== null && want.includes('=');
  return memberOf.some((m) => {
    const have = m.trim().toLowerCase();
    return have === want || (!isDn && firstRdnValue(have) === want);
  });
}

export interface RoleSubject {
  username: string;
  /** The user's directory groups (`memberOf`), as full DNs or plain names. */
  groups: readonly string[];
}

/** The highest role the subject holds, or null for none. */
export function roleOf(roles: HostConfig['admin']['roles'], subject: RoleSubject): ConsoleRole | null {
  const name = foldUsername(subject.username);
  const holds = (members: { users: string[]; groups: string[] }) =>
    members.users.some((u) => foldUsername(u) === name) || members.groups.some((g) => inGroup(g, subject.groups));
  if (holds(roles.admin)) return 'admin';
  if (holds(roles.helpdesk)) return 'helpdesk';
  return null;
}
