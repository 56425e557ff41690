/**
 * Who holds which console role (`admin.roles`): named usernames, or members of named directory
 * groups (the user's `memberOf` values, matched by `inGroup` of src/policy/group-match.ts, the
 * rule policy rules use too). `admin` includes everything `helpdesk` may do.
 */
import type { HostConfig } from '../../config/schema.js';
import { foldUsername } from '../../directory/directory.js';
import { inGroup } from '../../policy/group-match.js';

export type ConsoleRole = 'helpdesk' | 'admin';

const RANK: Record<ConsoleRole, number> = { helpdesk: 1, admin: 2 };

/** Whether `held` may open what `needed` guards. */
export function roleAllows(held: ConsoleRole, needed: ConsoleRole): boolean {
  return RANK[held] >= RANK[needed];
}

export function isConsoleRole(value: string): value is ConsoleRole {
  return value === 'helpdesk' || value === 'admin';
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
