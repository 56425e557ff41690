/**
 * `/admin/fraud` (role helpdesk; issue 20): the "This wasn't me" reports, newest first — user,
 * time, method asked, channel (button, link, voice key, SMS reply), mode and status. Where a
 * report still blocks the user's second factor, an admin (role admin) clears the block with a
 * reason through `UserAdmin.clearFraudBlock`: audited as `admin-action` (`clear-fraud-block`),
 * the open reports marked cleared by the admin. No JavaScript; CSRF on the POST.
 */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../store/schema.js';
import { FactorgateError } from '../../../kit/errors.js';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import type { UserAdmin } from '../../user-admin.js';
import { roleAllows } from '../admin-roles.js';
import type { ConsoleContext, ConsolePage } from '../console-page.js';
import { userPath } from '../users/paths.js';
import './fraud-messages.js';

export interface FraudReportsPageDeps {
  db: Kysely<Database>;
  userAdmin: Pick<UserAdmin, 'clearFraudBlock'>;
  logger: Logger;
}

export const FRAUD_PAGE = '/fraud';
const FRAUD_PATH = `/admin${FRAUD_PAGE}`;
/** The page lists this many reports at most; older ones stay in the store and the audit report. */
const LIMIT = 200;
const CHANNELS = new Set(['page', 'link', 'voice', 'sms']);

async function reports(db: Kysely<Database>) {
  return db
    .selectFrom('fraud_reports')
    .innerJoin('users', 'users.id', 'fraud_reports.user_id')
    .select([
      'fraud_reports.id',
      'users.username',
      'users.display_name',
      'users.fraud_blocked_at',
      'fraud_reports.created_at',
      'fraud_reports.method',
      'fraud_reports.channel',
      'fraud_reports.mode',
      'fraud_reports.cleared_at',
      'fraud_reports.cleared_by',
    ])
    .orderBy('fraud_reports.created_at', 'desc')
    .orderBy('fraud_reports.id')
    .limit(LIMIT)
    .execute();
}

type ReportRow = Awaited<ReturnType<typeof reports>>[number];

function statusOf(req: Request, ctx: ConsoleContext, L: Locale, r: ReportRow): SafeHtml {
  if (r.cleared_at !== null) return html`${t(L, 'admin.fraud.status.cleared', { by: r.cleared_by ?? '?' })} · ${ctx.time(req, r.cleared_at)}`;
  return html`${r.mode === 'block' && r.fraud_blocked_at !== null ? t(L, 'admin.fraud.status.blocking') : t(L, 'admin.fraud.status.open')}`;
}

function listView(req: Request, res: Response, ctx: ConsoleContext, L: Locale, rows: ReportRow[], outcome?: { notice?: string; error?: string }): SafeHtml {
  const mayClear = roleAllows(ctx.admin(res).role, 'admin');
  const token = ctx.csrfToken(req, res);
  // One clear form per blocked user, on that user's newest report.
  const formFor = new Set<string>();
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.username)) continue;
    seen.add(r.username);
    if (r.fraud_blocked_at !== null && r.cleared_at === null) formFor.add(r.id);
  }
  const clearForm = (r: ReportRow) => html`<form method="post" action="${FRAUD_PATH}/clear" class="inline" id="clear-${r.username}">
<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="username" value="${r.username}">
<label for="reason-${r.id}">${t(L, 'admin.fraud.reason')}</label><input type="text" id="reason-${r.id}" name="reason" required maxlength="500">
<button type="submit">${t(L, 'admin.fraud.clear')}</button></form>`;
  return html`<h1>${t(L, 'admin.fraud.title')}</h1>
${outcome?.notice ? html`<p class="notice" role="status" id="fraud-result">${outcome.notice}</p>` : ''}
${outcome?.error ? html`<p class="error" role="alert" id="fraud-result">${outcome.error}</p>` : ''}
<p class="muted">${t(L, 'admin.fraud.intro', { count: String(LIMIT) })}</p>
${rows.length === 0
    ? html`<p id="no-fraud">${t(L, 'admin.fraud.none')}</p>`
    : html`<table class="list" id="fraud-reports"><thead><tr><th scope="col">${t(L, 'admin.fraud.col.user')}</th><th scope="col">${t(L, 'admin.fraud.col.time')}</th><th scope="col">${t(L, 'admin.fraud.col.method')}</th><th scope="col">${t(L, 'admin.fraud.col.channel')}</th><th scope="col">${t(L, 'admin.fraud.col.mode')}</th><th scope="col">${t(L, 'admin.fraud.col.status')}</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr data-report="${r.id}"><td><a href="${userPath(r.username)}">${r.display_name ?? r.username}</a> <span class="muted">${r.username}</span></td><td>${ctx.time(req, r.created_at)}</td><td>${r.method ?? '-'}</td><td>${CHANNELS.has(r.channel) ? t(L, `admin.fraud.channel.${r.channel}`) : r.channel}</td><td>${t(L, r.mode === 'block' ? 'admin.fraud.mode.block' : 'admin.fraud.mode.report')}</td><td>${statusOf(req, ctx, L, r)}${mayClear && formFor.has(r.id) ? clearForm(r) : ''}</td></tr>`,
      )}</tbody></table>`}`;
}

export function fraudReportsPage(deps: FraudReportsPageDeps): ConsolePage {
  return {
    path: FRAUD_PAGE,
    role: 'helpdesk',
    nav: 'admin.nav.fraud',
    routes(router, ctx) {
      router.get('/', async (req, res) => {
        const L = ctx.locale(req);
        ctx.render(req, res, 200, t(L, 'admin.fraud.title'), listView(req, res, ctx, L, await reports(deps.db)));
      });

      router.post('/clear', ctx.form, async (req, res) => {
        ctx.checkCsrf(req);
        ctx.requireRole(res, 'admin');
        const L = ctx.locale(req);
        const admin = ctx.admin(res);
        const body = req.body as Record<string, unknown>;
        const username = typeof body.username === 'string' ? body.username : '';
        const reason = typeof body.reason === 'string' ? body.reason : undefined;
        try {
          const { reportsCleared } = await deps.userAdmin.clearFraudBlock(username, { name: `console:${admin.name}` }, reason);
          deps.logger.info({ admin: admin.name, username, reportsCleared }, 'fraud block cleared from the console');
          ctx.render(req, res, 200, t(L, 'admin.fraud.title'), listView(req, res, ctx, L, await reports(deps.db), { notice: t(L, 'admin.fraud.cleared', { user: username, count: String(reportsCleared) }) }));
        } catch (err) {
          if (!(err instanceof FactorgateError) || err.code !== 'BAD_REQUEST') throw err;
          deps.logger.info({ admin: admin.name, username, refused: err.detail }, 'fraud block clearing refused');
          ctx.render(req, res, 400, t(L, 'admin.fraud.title'), listView(req, res, ctx, L, await reports(deps.db), { error: err.publicDetail ?? t(L, 'error.BAD_REQUEST') }));
        }
      });
    },
  };
}
