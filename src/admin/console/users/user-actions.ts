/**
 * What the help desk can do to one user from the console, as one table: each action's least
 * role, the fields its confirm step asks for besides the reason, and the `UserAdmin` call that
 * does it (audited there as `admin-action`, with the admin's name and the reason). The page
 * shows the confirm step (no JavaScript needed), then posts it with CSRF; nothing changes on a GET.
 */
import type { UserAdmin } from '../../user-admin.js';
import type { ConsoleRole } from '../admin-roles.js';

/** Fields a confirm step may carry: `target` ones come from the link (hidden), `typed` ones are asked. */
export type ActionField = 'minutes' | 'serial' | 'code1' | 'code2';

export interface ActionInput {
  reason: string;
  /** The method id (remove-method) or token serial (unassign, resync) the link named. */
  target: string;
  minutes: string;
  serial: string;
  code1: string;
  code2: string;
}

export interface UserAction {
  name: string;
  role: ConsoleRole;
  /** The action names a method or token (carried from the link as `target`). */
  needsTarget: boolean;
  /** Typed on the confirm step. */
  fields: readonly ActionField[];
  run(admin: UserAdmin, username: string, input: ActionInput, actor: { name: string }): Promise<void>;
}

function minutesOf(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  // Not a whole number: NaN, which grantBypass refuses with the allowed range.
  return /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

export const USER_ACTIONS: readonly UserAction[] = [
  { name: 'unlock', role: 'helpdesk', needsTarget: false, fields: [], run: (a, u, i, who) => a.unlock(u, who, i.reason) },
  { name: 'reset-methods', role: 'helpdesk', needsTarget: false, fields: [], run: async (a, u, i, who) => void (await a.resetMethods(u, who, i.reason)) },
  { name: 'remove-method', role: 'helpdesk', needsTarget: true, fields: [], run: (a, u, i, who) => a.removeMethod(u, i.target, who, i.reason) },
  { name: 'bypass', role: 'helpdesk', needsTarget: false, fields: ['minutes'], run: async (a, u, i, who) => void (await a.grantBypass(u, minutesOf(i.minutes), who, i.reason)) },
  { name: 'revoke-app-passwords', role: 'helpdesk', needsTarget: false, fields: [], run: async (a, u, i, who) => void (await a.revokeAppPasswords(u, who, i.reason)) },
  { name: 'resend-enrolment', role: 'helpdesk', needsTarget: false, fields: [], run: async (a, u, i, who) => void (await a.resendEnrolment(u, who, i.reason)) },
  { name: 'resync-token', role: 'helpdesk', needsTarget: true, fields: ['code1', 'code2'], run: (a, u, i, who) => a.resyncToken(u, i.target, i.code1, i.code2, who, i.reason) },
  { name: 'disable', role: 'admin', needsTarget: false, fields: [], run: (a, u, i, who) => a.setDisabled(u, true, who, i.reason) },
  { name: 'enable', role: 'admin', needsTarget: false, fields: [], run: (a, u, i, who) => a.setDisabled(u, false, who, i.reason) },
  { name: 'assign-token', role: 'admin', needsTarget: false, fields: ['serial'], run: (a, u, i, who) => a.assignToken(u, i.serial, who, i.reason) },
  { name: 'unassign-token', role: 'admin', needsTarget: true, fields: [], run: (a, u, i, who) => a.unassignToken(u, i.target, who, i.reason) },
];

export function findAction(name: string): UserAction | undefined {
  return USER_ACTIONS.find((a) => a.name === name);
}
