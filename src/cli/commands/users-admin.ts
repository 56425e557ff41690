/**
 * `factorgate users show|reset|bypass|disable|enable USER`: the help-desk operations of
 * `src/admin/user-admin.ts` from a shell. Whoever runs the command can read the store, so
 * addresses are shown in full; each change needs `--reason` and is audited as `admin-action`
 * under `cli:<login name>`.
 */
import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import type { AdminActor, UserAdmin, UserDetails } from '../../admin/user-admin.js';
import { UsageError } from '../cli-context.js';

export const ADMIN_SUBCOMMANDS = ['show', 'reset', 'bypass', 'disable', 'enable', 'forget-devices'] as const;
export type AdminSubcommand = (typeof ADMIN_SUBCOMMANDS)[number];

export function isAdminSubcommand(s: string | undefined): s is AdminSubcommand {
  return (ADMIN_SUBCOMMANDS as readonly (string | undefined)[]).includes(s);
}

export function cliActor(env: NodeJS.ProcessEnv): AdminActor {
  let login = env.SUDO_USER ?? env.USER ?? '';
  if (login === '') {
    try {
      login = userInfo().username;
    } catch {
      login = 'unknown';
    }
  }
  return { name: `cli:${login}` };
}

function line(cells: (string | null)[]): string {
  return `${cells.map((c) => (c ?? '-').replace(/[\t\r\n]/g, ' ')).join('\t')}\n`;
}

/** The user page as text: identity, state, methods, tokens, bypass, then the history. */
export function formatDetails(d: UserDetails): string {
  const out: string[] = [];
  const kv = (k: string, v: string | null) => out.push(`${k.padEnd(14)}${v ?? '-'}\n`);
  kv('user', d.username);
  kv('name', d.displayName);
  kv('upn', d.upn);
  kv('email', d.email);
  kv('phone', d.phone);
  kv('source', d.source);
  kv('status', d.status === 'enabled' ? 'enabled' : `disabled (by ${d.disabledBy.join(' and ')})`);
  kv('lock', d.lockedUntil ? `locked until ${d.lockedUntil}` : d.failedAttempts > 0 ? `${d.failedAttempts} failed` : 'not locked');
  kv('last sign-in', d.lastSignIn ?? 'never');
  kv('pin', d.pinSet ? 'set' : 'not set');
  kv('bypass', d.bypass ? `until ${d.bypass.expiresAt} (by ${d.bypass.grantedBy}: ${d.bypass.reason})` : 'none');
  out.push('\nMETHODS\nID\tKIND\tLABEL\tADDRESS\tSTATE\tLAST USED\n');
  for (const m of d.methods) out.push(line([m.id, m.kind, m.label, m.address, `${m.confirmed ? 'enrolled' : 'pending'}${m.isDefault ? ',default' : ''}`, m.lastUsedAt]));
  out.push('\nTOKENS\nSERIAL\tKIND\tSTATE\tLAST USED\n');
  for (const t of d.tokens) out.push(line([t.serial, t.kind, t.disabled ? 'disabled' : 'active', t.lastUsedAt]));
  out.push('\nHISTORY (newest first)\nTIME\tEVENT\tRESULT\tMETHOD\tDENY REASON\tADAPTER\tRELYING PARTY\tCLIENT IP\tDETAIL\n');
  for (const h of d.history) out.push(line([h.ts, h.event, h.result, h.method, h.denyReason, h.adapter, h.relyingParty, h.clientIp, h.detail]));
  return out.join('');
}

export interface AdminCommandInput {
  sub: AdminSubcommand;
  username: string | undefined;
  reason: string | undefined;
  minutes: string | undefined;
  json: boolean;
  actor: AdminActor;
}

export async function runUserAdmin(admin: UserAdmin, input: AdminCommandInput, out: Writable): Promise<number> {
  const { sub, username, reason, actor } = input;
  if (!username) throw new UsageError(`users ${sub} needs a user name`);
  if (sub !== 'show' && reason === undefined) throw new UsageError(`users ${sub} needs --reason TEXT (stored in the audit record)`);
  switch (sub) {
    case 'show': {
      const details = await admin.show(username, { revealAddresses: true });
      out.write(input.json ? `${JSON.stringify(details, null, 2)}\n` : formatDetails(details));
      return 0;
    }
    case 'reset': {
      const r = await admin.resetMethods(username, actor, reason);
      out.write(`reset ${username}: ${r.methods} method(s) removed, ${r.tokens} token(s) unassigned and disabled; the next sign-in enrols again\n`);
      return 0;
    }
    case 'bypass': {
      let minutes: number | undefined;
      if (input.minutes !== undefined) {
        minutes = Number(input.minutes);
        if (!/^\d+$/.test(input.minutes)) throw new UsageError(`--minutes: "${input.minutes}" is not a whole number`);
      }
      const r = await admin.grantBypass(username, minutes, actor, reason);
      out.write(`bypass for ${username}: the next sign-in before ${new Date(r.expiresAt).toISOString()} skips the second factor once\n`);
      return 0;
    }
    case 'disable':
    case 'enable':
      await admin.setDisabled(username, sub === 'disable', actor, reason);
      out.write(`${sub}d ${username}\n`);
      return 0;
    case 'forget-devices': {
      const n = await admin.revokeDevices(username, actor, reason);
      out.write(`forget-devices ${username}: ${n} remembered device(s) revoked; the next sign-ins ask for the second factor\n`);
      return 0;
    }
  }
}
