/**
 * What `check-config` (and every start) reports about `policies.rules` beyond its schema: app
 * names no configured adapter declares, and groups no user of a users file holds. Each problem
 * names its key (`policies.rules[1].apps[0]`); the loader prefixes the file.
 */
import type { PolicyRule } from './config.js';
import { inGroup } from './group-match.js';

export interface PolicyNames {
  /** Apps the configured adapters declare, and the adapters' own names; null when one of them declares none (cannot tell). */
  apps: ReadonlySet<string> | null;
  /** Every membership the directory holds (names or DNs, matched by `inGroup`); null when it cannot say without asking it (LDAP). */
  groups: readonly string[] | null;
}

export function policyProblems(rules: readonly PolicyRule[], names: PolicyNames): string[] {
  const problems: string[] = [];
  const groups = names.groups;
  rules.forEach((rule, i) => {
    rule.apps?.forEach((app, j) => {
      if (names.apps && !names.apps.has(app)) problems.push(`policies.rules[${i}].apps[${j}]: unknown app "${app}" (known: ${[...names.apps].join(', ') || 'none'})`);
    });
    rule.groups?.forEach((group, j) => {
      if (groups && !inGroup(group, groups)) problems.push(`policies.rules[${i}].groups[${j}]: no user of the users file is in group "${group}"`);
    });
  });
  return problems;
}
