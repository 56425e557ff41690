/**
 * `factors.webauthn.userVerificationRequiredFor` (issue 24): who must verify on their security key
 * (PIN or biometric) whatever `userVerification` says. Named users are known without asking;
 * roles (`admin.roles`) and groups are read from the directory entry's `memberOf` at the moment
 * of the ceremony, so a user just added to the admins' group needs UV from their next sign-in.
 */
import type { UserRecord } from '../api/host-api.js';
import type { HostConfig } from '../config/schema.js';
import { foldUsername, type Directory } from '../directory/directory.js';
import { roleOf } from '../admin/console/admin-roles.js';
import { directoryGroups, inAnyGroup } from '../policy/group-match.js';

export function userVerificationPolicy(config: HostConfig, directory: Pick<Directory, 'find'>): ((user: UserRecord) => Promise<boolean>) | undefined {
  const rule = config.factors.webauthn?.userVerificationRequiredFor;
  if (!rule || (rule.users.length === 0 && rule.groups.length === 0 && rule.roles.length === 0)) return undefined;
  const named = new Set(rule.users.map(foldUsername));
  return async (user) => {
    if (named.has(foldUsername(user.username))) return true;
    if (rule.groups.length === 0 && rule.roles.length === 0) return false;
    const groups = directoryGroups(await directory.find(user.username));
    if (inAnyGroup(rule.groups, groups)) return true;
    const role = roleOf(config.admin.roles, { username: user.username, groups });
    // An admin holds everything a helpdesk role may do: either named role covers them.
    return role !== null && (rule.roles.includes(role) || (role === 'admin' && rule.roles.includes('helpdesk')));
  };
}
