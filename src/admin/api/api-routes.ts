/**
 * The admin API's routes (issue 18), one table: method, path, the least role that may call it,
 * and the handler. The same operations as the CLI and the console (UserAdmin, TokenAdmin, the
 * audit query, the reports); this file only reads input and shapes replies. Actions need a
 * `reason` and are audited as `admin-action` by `api:<token name>` in the operation itself.
 * Helpdesk tokens see phone numbers masked, as the console's helpdesk role does.
 */
import { z } from 'zod';
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Clock } from '../../kit/clock.js';
import type { ConsoleRole } from '../console/admin-roles.js';
import type { ApiTokenIdentity } from '../api-tokens.js';
import { type AdminActor, type UserAdmin } from '../user-admin.js';
import { maskContact } from '../../factors/mask-contact.js';
import type { TokenRepository } from '../../tokens/token-repository.js';
import { listTokenStock } from '../token-stock.js';
import { searchUsers, type UserListEntry } from '../user-search.js';
import { MAX_AUDIT_PAGE, queryAudit } from '../../audit/audit-query.js';
import { REPORTS, REPORT_GROUPS, isReportName, reportCsv, runReport } from '../../audit/report.js';
import { FactorgateError } from '../../kit/errors.js';
import { instant, pageLimit, readInput, reasonBody } from './read-input.js';

export interface ApiCall {
  req: Request;
  token: ApiTokenIdentity;
  actor: AdminActor;
}

export type ApiReply = { json: unknown; status?: number } | { csv: string; filename: string };

export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** Express path under /admin/api/v1. */
  path: string;
  role: ConsoleRole;
  handle(call: ApiCall): Promise<ApiReply>;
}

export interface ApiRouteDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UserAdmin;
  tokens: Pick<TokenRepository, 'list'>;
}

const DAY = 86_400_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** The console's list entry with times as ISO 8601, as everywhere in the API. */
function userSummary(u: UserListEntry) {
  return {
    username: u.username,
    displayName: u.displayName,
    upn: u.upn,
    email: u.email,
    status: u.disabled ? 'disabled' : 'enabled',
    lockedUntil: iso(u.lockedUntil),
    failedAttempts: u.failedAttempts,
    bypassUntil: iso(u.bypassUntil),
    methods: u.methods,
    lastSignIn: u.lastSignIn ? { at: iso(u.lastSignIn.at), event: u.lastSignIn.event, result: u.lastSignIn.result, denyReason: u.lastSignIn.denyReason } : null,
  };
}
const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const text = z.string().min(1).max(256);

const usersQuery = z.strictObject({ q: z.string().max(128).default(''), limit: pageLimit(100, 25), page: z.coerce.number().int().min(0).max(100_000).default(0) });
const bypassBody = z.strictObject({ reason: reasonBody.shape.reason, minutes: z.number().int().positive().optional() });
const tokensQuery = z.strictObject({ state: z.enum(['assigned', 'unassigned']).optional(), user: text.optional() });
const assignBody = z.strictObject({ serial: text, reason: reasonBody.shape.reason });
const resyncBody = z.strictObject({ code1: z.string().regex(/^\d{6,10}$/), code2: z.string().regex(/^\d{6,10}$/), reason: reasonBody.shape.reason });
const auditQuery = z.strictObject({
  since: instant.optional(),
  until: instant.optional(),
  user: text.optional(),
  event: text.optional(),
  result: z.enum(['success', 'failure', 'denied', 'info']).optional(),
  method: text.optional(),
  adapter: text.optional(),
  relyingParty: text.optional(),
  denyReason: text.optional(),
  limit: pageLimit(MAX_AUDIT_PAGE, 100),
  cursor: z.string().max(200).optional(),
});
const reportQuery = z.strictObject({
  by: z.enum(REPORT_GROUPS).optional(),
  since: instant.optional(),
  until: instant.optional(),
  adapter: text.optional(),
  relyingParty: text.optional(),
  method: text.optional(),
  user: text.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** The report window: the last 30 days unless said, never inverted, at most a year and a day. */
function reportWindow(now: number, since: number | undefined, until: number | undefined): { since: number; until: number } {
  const end = until ?? now + 1;
  const start = since ?? end - 30 * DAY;
  if (start >= end) throw new FactorgateError('BAD_REQUEST', { detail: 'since must be before until', publicDetail: 'since must be before until' });
  if (end - start > 366 * DAY) throw new FactorgateError('BAD_REQUEST', { detail: 'a report covers at most 366 days', publicDetail: 'a report covers at most 366 days' });
  return { since: start, until: end };
}

export function apiRoutes(deps: ApiRouteDeps): ApiRoute[] {
  const { users, tokens } = deps;
  const reveal = (call: ApiCall) => call.token.role === 'admin';
  const action = (name: string, username: string, extra: Record<string, unknown> = {}): ApiReply => ({ json: { action: name, username, ...extra } });
  return [
    {
      method: 'get',
      path: '/users',
      role: 'helpdesk',
      handle: async ({ req }) => {
        const q = readInput(usersQuery, req.query, 'query');
        const found = await searchUsers(deps.db, { query: q.q, page: q.page, pageSize: q.limit, now: deps.clock.now() });
        return { json: { query: found.query, page: found.page, pageSize: found.pageSize, hasNext: found.hasNext, users: found.users.map(userSummary) } };
      },
    },
    {
      method: 'get',
      path: '/users/:username',
      role: 'helpdesk',
      handle: async (call) => ({ json: await users.show(param(call.req, 'username'), { revealAddresses: reveal(call) }) }),
    },
    {
      method: 'post',
      path: '/users/:username/unlock',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        await users.unlock(param(req, 'username'), actor, reason);
        return action('unlock', param(req, 'username'));
      },
    },
    {
      method: 'post',
      path: '/users/:username/reset',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        const removed = await users.resetMethods(param(req, 'username'), actor, reason);
        return action('reset-methods', param(req, 'username'), { removed });
      },
    },
    {
      method: 'post',
      path: '/users/:username/bypass',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { reason, minutes } = readInput(bypassBody, req.body, 'body');
        const { expiresAt } = await users.grantBypass(param(req, 'username'), minutes, actor, reason);
        return action('bypass', param(req, 'username'), { expiresAt: new Date(expiresAt).toISOString() });
      },
    },
    {
      method: 'delete',
      path: '/users/:username/methods/:methodId',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        await users.removeMethod(param(req, 'username'), param(req, 'methodId'), actor, reason);
        return action('remove-method', param(req, 'username'), { methodId: param(req, 'methodId') });
      },
    },
    {
      method: 'post',
      path: '/users/:username/disable',
      role: 'admin',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        await users.setDisabled(param(req, 'username'), true, actor, reason);
        return action('disable', param(req, 'username'));
      },
    },
    {
      method: 'post',
      path: '/users/:username/enable',
      role: 'admin',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        await users.setDisabled(param(req, 'username'), false, actor, reason);
        return action('enable', param(req, 'username'));
      },
    },
    {
      method: 'post',
      path: '/users/:username/app-passwords/revoke',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        const revoked = await users.revokeAppPasswords(param(req, 'username'), actor, reason);
        return action('revoke-app-passwords', param(req, 'username'), { revoked });
      },
    },
    {
      method: 'post',
      path: '/users/:username/tokens',
      role: 'admin',
      handle: async ({ req, actor }) => {
        const { serial, reason } = readInput(assignBody, req.body, 'body');
        await users.assignToken(param(req, 'username'), serial, actor, reason);
        return action('assign-token', param(req, 'username'), { serial });
      },
    },
    {
      method: 'delete',
      path: '/users/:username/tokens/:serial',
      role: 'admin',
      handle: async ({ req, actor }) => {
        const { reason } = readInput(reasonBody, req.body, 'body');
        await users.unassignToken(param(req, 'username'), param(req, 'serial'), actor, reason);
        return action('unassign-token', param(req, 'username'), { serial: param(req, 'serial') });
      },
    },
    {
      method: 'post',
      path: '/users/:username/tokens/:serial/resync',
      role: 'helpdesk',
      handle: async ({ req, actor }) => {
        const { code1, code2, reason } = readInput(resyncBody, req.body, 'body');
        await users.resyncToken(param(req, 'username'), param(req, 'serial'), code1, code2, actor, reason);
        return action('resync-token', param(req, 'username'), { serial: param(req, 'serial') });
      },
    },
    {
      method: 'get',
      path: '/tokens',
      role: 'admin',
      handle: async ({ req }) => {
        const q = readInput(tokensQuery, req.query, 'query');
        return { json: { tokens: await listTokenStock(tokens, { state: q.state, username: q.user }) } };
      },
    },
    {
      method: 'get',
      path: '/audit',
      role: 'helpdesk',
      handle: async (call) => {
        const q = readInput(auditQuery, call.req.query, 'query');
        const page = await queryAudit(
          deps.db,
          { since: q.since, until: q.until, username: q.user, event: q.event, result: q.result, method: q.method, adapter: q.adapter, relyingParty: q.relyingParty, denyReason: q.denyReason },
          { limit: q.limit, cursor: q.cursor },
        );
        if (!reveal(call)) for (const r of page.records) r.phone = r.phone === null ? null : maskContact(r.phone);
        return { json: page };
      },
    },
    {
      method: 'get',
      path: '/reports/:report',
      role: 'helpdesk',
      handle: async ({ req }) => {
        const name = param(req, 'report');
        if (!isReportName(name)) throw new FactorgateError('NOT_FOUND', { detail: `no report "${name}"`, publicDetail: `no report "${name}" (${Object.keys(REPORTS).join(', ')})` });
        const q = readInput(reportQuery, req.query, 'query');
        const by = q.by ?? REPORTS[name].defaultBy;
        const window = reportWindow(deps.clock.now(), q.since, q.until);
        const rows = await runReport(deps.db, name, { by, ...window, filter: { adapter: q.adapter, relyingParty: q.relyingParty, method: q.method, username: q.user } });
        if (q.format === 'csv') return { csv: reportCsv(by, rows), filename: `${name}-by-${by}.csv` };
        return { json: { report: name, title: REPORTS[name].title, by, since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString(), rows } };
      },
    },
  ];
}
