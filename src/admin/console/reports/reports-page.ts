/**
 * The console's reports page (`/admin/reports`, role helpdesk; issue 18): a GET form (report,
 * grouping, window, optional user, adapter, relying party, method), the report as an inline
 * SVG chart with the same numbers in a table under it, and a link to the same filter as CSV
 * (`/admin/reports/csv?…`, the rows of the table, nothing more). Bad input is a 400 page naming
 * the field; the window is at most 366 days (what the API allows too).
 */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../../../store/schema.js';
import type { Clock } from '../../../kit/clock.js';
import { FactorgateError } from '../../../kit/errors.js';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import { REPORTS, REPORT_GROUPS, REPORT_NAMES, isReportName, isTimeGroup, reportCsv, runReport, type ReportGroup, type ReportName, type ReportRow } from '../../../audit/report.js';
import { MAX_BARS, reportChartSvg } from '../../reports/report-chart.js';
import type { ConsoleContext, ConsolePage } from '../console-page.js';
import './reports-messages.js';

export interface ReportsPageDeps {
  db: Kysely<Database>;
  clock: Clock;
}

const DAY = 86_400_000;
const REPORTS_PATH = '/admin/reports';
const FILTERS = ['user', 'adapter', 'relyingParty', 'method'] as const;

interface ReportForm {
  report: ReportName;
  by: ReportGroup;
  /** Days as YYYY-MM-DD (UTC), as the date inputs send them. */
  since: string;
  until: string;
  filters: Record<(typeof FILTERS)[number], string>;
}

const bad = (what: string) => new FactorgateError('BAD_REQUEST', { detail: what, publicDetail: what });
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dayMs(field: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw bad(`${field}: "${value.slice(0, 40)}" is not a day (YYYY-MM-DD)`);
  return ms;
}

/** The form as asked, with its defaults: sign-ins by day over the last 30 days. */
function readForm(query: Request['query'], now: number): ReportForm {
  const one = (name: string): string => {
    const v = query[name];
    if (v === undefined) return '';
    if (typeof v !== 'string' || v.length > 200) throw bad(`${name}: one value of at most 200 characters`);
    return v.trim();
  };
  const report = one('report') || 'sign-ins';
  if (!isReportName(report)) throw bad(`report: one of ${REPORT_NAMES.join(', ')}`);
  const by = one('by') || REPORTS[report].defaultBy;
  if (!(REPORT_GROUPS as readonly string[]).includes(by)) throw bad(`by: one of ${REPORT_GROUPS.join(', ')}`);
  const until = one('until') || day(now + DAY);
  const since = one('since') || day(dayMs('until', until) - 30 * DAY);
  return { report, by: by as ReportGroup, since, until, filters: { user: one('user'), adapter: one('adapter'), relyingParty: one('relyingParty'), method: one('method') } };
}

async function rowsOf(deps: ReportsPageDeps, form: ReportForm): Promise<ReportRow[]> {
  const since = dayMs('since', form.since);
  const until = dayMs('until', form.until);
  if (since >= until) throw bad('since must be before until');
  if (until - since > 366 * DAY) throw bad('a report covers at most 366 days');
  const f = form.filters;
  const opt = (v: string) => (v === '' ? undefined : v);
  return runReport(deps.db, form.report, { by: form.by, since, until, filter: { username: opt(f.user), adapter: opt(f.adapter), relyingParty: opt(f.relyingParty), method: opt(f.method) } });
}

function queryOf(form: ReportForm): string {
  const p = new URLSearchParams({ report: form.report, by: form.by, since: form.since, until: form.until });
  for (const k of FILTERS) if (form.filters[k] !== '') p.set(k, form.filters[k]);
  return p.toString();
}

function formView(L: Locale, form: ReportForm): SafeHtml {
  const select = (name: string, label: string, options: readonly string[], current: string, text: (o: string) => string) =>
    html`<label for="${name}">${label}</label> <select id="${name}" name="${name}">${options.map((o) => html`<option value="${o}"${o === current ? html` selected` : ''}>${text(o)}</option>`)}</select>`;
  const input = (name: string, label: string, type: string, value: string) => html`<label for="${name}">${label}</label> <input type="${type}" id="${name}" name="${name}" value="${value}">`;
  return html`<form method="get" action="${REPORTS_PATH}" class="report-filter">
<p>${select('report', t(L, 'admin.reports.report'), REPORT_NAMES, form.report, (o) => t(L, `admin.reports.name.${o}`))}
${select('by', t(L, 'admin.reports.by'), REPORT_GROUPS, form.by, (o) => t(L, `admin.reports.group.${o}`))}</p>
<p>${input('since', t(L, 'admin.reports.since'), 'date', form.since)} ${input('until', t(L, 'admin.reports.until'), 'date', form.until)}</p>
<p>${input('user', t(L, 'admin.reports.user'), 'text', form.filters.user)} ${input('adapter', t(L, 'admin.reports.adapter'), 'text', form.filters.adapter)}
${input('relyingParty', t(L, 'admin.reports.relyingParty'), 'text', form.filters.relyingParty)} ${input('method', t(L, 'admin.reports.method'), 'text', form.filters.method)}</p>
<p><button type="submit">${t(L, 'admin.reports.show')}</button></p>
</form>`;
}

function tableView(L: Locale, form: ReportForm, rows: readonly ReportRow[]): SafeHtml {
  return html`<table class="list" id="report-table">
<caption>${t(L, `admin.reports.name.${form.report}`)}, ${t(L, 'admin.reports.window', { from: form.since, until: form.until })}</caption>
<thead><tr><th scope="col">${t(L, `admin.reports.group.${form.by}`)}</th><th scope="col">${t(L, 'admin.reports.col.success')}</th><th scope="col">${t(L, 'admin.reports.col.failure')}</th><th scope="col">${t(L, 'admin.reports.col.denied')}</th><th scope="col">${t(L, 'admin.reports.col.total')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row">${r.key}</th><td>${r.success}</td><td>${r.failure}</td><td>${r.denied}</td><td>${r.total}</td></tr>`)}</tbody>
</table>`;
}

export function reportsPage(deps: ReportsPageDeps): ConsolePage {
  return {
    path: '/reports',
    role: 'helpdesk',
    nav: 'admin.nav.reports',
    routes(router, ctx: ConsoleContext) {
      router.get('/', async (req: Request, res: Response) => {
        const L = ctx.locale(req);
        const form = readForm(req.query, deps.clock.now());
        const rows = await rowsOf(deps, form);
        const title = t(L, `admin.reports.name.${form.report}`);
        const ranked = !isTimeGroup(form.by);
        const chart = reportChartSvg(rows, {
          id: 'report-chart',
          title: `${title} (${t(L, `admin.reports.group.${form.by}`)}, ${t(L, 'admin.reports.window', { from: form.since, until: form.until })})`,
          description: REPORTS[form.report].description,
          series: { success: t(L, 'admin.reports.col.success'), failure: t(L, 'admin.reports.col.failure'), denied: t(L, 'admin.reports.col.denied') },
          ranked,
        });
        ctx.render(
          req,
          res,
          200,
          t(L, 'admin.reports.title'),
          html`<h1>${t(L, 'admin.reports.title')}</h1>
${formView(L, form)}
${rows.length === 0
  ? html`<p id="no-rows">${t(L, 'admin.reports.none')}</p>`
  : html`<figure>${chart}${ranked && rows.length > MAX_BARS ? html`<figcaption>${t(L, 'admin.reports.top', { n: String(MAX_BARS), total: String(rows.length) })}</figcaption>` : ''}</figure>
${tableView(L, form, rows)}`}
<p><a id="report-csv" href="${REPORTS_PATH}/csv?${queryOf(form)}" download>${t(L, 'admin.reports.csv')}</a></p>`,
        );
      });
      router.get('/csv', async (req: Request, res: Response) => {
        const form = readForm(req.query, deps.clock.now());
        const rows = await rowsOf(deps, form);
        res.set('Cache-Control', 'no-store').type('text/csv; charset=utf-8').attachment(`${form.report}-by-${form.by}-${form.since}-${form.until}.csv`).send(reportCsv(form.by, rows));
      });
    },
  };
}
