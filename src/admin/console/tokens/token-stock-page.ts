/**
 * `/admin/tokens` (role admin): the hardware tokens in stock (unassigned), and a PSKC or CSV
 * file imported from the page through the CLI's importers and `TokenRepository.importTokens`
 * (all or nothing unless asked, the same line-numbered problems as `factorgate tokens import`).
 * The form is multipart (a file, no JavaScript); its CSRF token travels inside it. Each import is
 * audited as `admin-action` (`import-tokens`) with the admin's name and the counts.
 */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../store/schema.js';
import type { AuditApi } from '../../../api/host-api.js';
import { FactorgateError } from '../../../kit/errors.js';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import { importCsvTokens, importPskcTokens, type ImportResult } from '../../../tokens/index.js';
import type { TokenImportReport, TokenRepository } from '../../../tokens/token-repository.js';
import { problemLine } from '../../../tokens/problem-line.js';
import type { ConsoleContext, ConsolePage } from '../console-page.js';
import { multipartBody, readMultipart, type MultipartForm } from './read-multipart.js';
import './token-stock-messages.js';

export interface TokenStockDeps {
  db: Kysely<Database>;
  tokens: Pick<TokenRepository, 'importTokens'>;
  audit: AuditApi;
  logger: Logger;
}

export const TOKENS_PAGE = '/tokens';
const TOKENS_PATH = `/admin${TOKENS_PAGE}`;
/** A PSKC file of a few thousand tokens fits well below this. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

async function stock(db: Kysely<Database>) {
  return db.selectFrom('oath_tokens').select(['serial', 'kind', 'algorithm', 'digits', 'period', 'manufacturer', 'model', 'disabled']).where('user_id', 'is', null).orderBy('serial').limit(1000).execute();
}

/** The importer the form asked for, with its options; a choice outside the lists is a 400. */
function parseFile(form: MultipartForm, bytes: Buffer): ImportResult {
  const format = form.text('format');
  if (format === 'pskc') {
    const password = form.text('password');
    return importPskcTokens(bytes, password !== '' ? { password } : {});
  }
  if (format === 'csv') {
    const layout = form.text('layout');
    const encoding = form.text('encoding');
    if (layout !== '' && layout !== 'entra' && layout !== 'mfa-server') throw new FactorgateError('BAD_REQUEST', { detail: `csv layout ${layout}`, publicDetail: 'the CSV layout must be entra or mfa-server' });
    if (encoding !== '' && encoding !== 'base32' && encoding !== 'hex') throw new FactorgateError('BAD_REQUEST', { detail: `secret encoding ${encoding}`, publicDetail: 'the secret encoding must be base32 or hex' });
    return importCsvTokens(bytes, { ...(layout ? { format: layout } : {}), ...(encoding ? { secretEncoding: encoding } : {}) });
  }
  throw new FactorgateError('BAD_REQUEST', { detail: `import format ${format}`, publicDetail: 'choose PSKC or CSV' });
}

function stockView(req: Request, res: Response, ctx: ConsoleContext, L: Locale, rows: Awaited<ReturnType<typeof stock>>, outcome?: { report?: TokenImportReport; error?: string }): SafeHtml {
  const report = outcome?.report;
  return html`<h1>${t(L, 'admin.tokens.title')}</h1>
${outcome?.error ? html`<p class="error" role="alert" id="import-result">${outcome.error}</p>` : ''}
${report
    ? html`<div id="import-result" role="${report.stored ? 'status' : 'alert'}" class="${report.stored ? 'notice' : 'error'}">
<p>${report.stored ? t(L, 'admin.tokens.imported', { count: String(report.imported), assigned: String(report.assigned) }) : t(L, 'admin.tokens.nothing', { count: String(report.problems.length) })}</p>
${report.stored && report.problems.length > 0 ? html`<p>${t(L, 'admin.tokens.skipped', { count: String(report.problems.length) })}</p>` : ''}
${report.problems.length > 0 ? html`<ul class="problems">${report.problems.map((p) => html`<li>${problemLine(p)}</li>`)}</ul>` : ''}
</div>`
    : ''}
${rows.length === 0
    ? html`<p id="no-stock">${t(L, 'admin.tokens.none')}</p>`
    : html`<table class="list" id="stock"><thead><tr><th scope="col">${t(L, 'admin.tokens.col.serial')}</th><th scope="col">${t(L, 'admin.tokens.col.kind')}</th><th scope="col">${t(L, 'admin.tokens.col.device')}</th><th scope="col">${t(L, 'admin.tokens.col.state')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${r.serial}</td><td>${r.kind} ${r.algorithm} ${String(r.digits)}${r.kind === 'totp' ? ` ${r.period}s` : ''}</td><td>${[r.manufacturer, r.model].filter(Boolean).join(' ')}</td><td>${r.disabled === 1 ? t(L, 'admin.tokens.disabled') : t(L, 'admin.tokens.enabled')}</td></tr>`)}</tbody></table>`}
<h2 id="import">${t(L, 'admin.tokens.import')}</h2>
<form method="post" action="${TOKENS_PATH}/import" enctype="multipart/form-data" aria-labelledby="import">
<input type="hidden" name="_csrf" value="${ctx.csrfToken(req, res)}">
<label for="file">${t(L, 'admin.tokens.file')}</label>
<input type="file" id="file" name="file" required accept=".xml,.pskc,.csv,.txt">
<label for="format">${t(L, 'admin.tokens.format')}</label>
<select id="format" name="format"><option value="pskc">PSKC (RFC 6030)</option><option value="csv">CSV</option></select>
<label for="layout">${t(L, 'admin.tokens.csvLayout')}</label>
<select id="layout" name="layout"><option value="">auto</option><option value="entra">Entra ID (upn, serial number, secret key, …)</option><option value="mfa-server">Azure MFA Server</option></select>
<label for="encoding">${t(L, 'admin.tokens.secretEncoding')}</label>
<select id="encoding" name="encoding"><option value="">auto</option><option value="base32">Base32</option><option value="hex">hex</option></select>
<label for="password">${t(L, 'admin.tokens.pskcPassword')}</label>
<input type="password" id="password" name="password" autocomplete="off">
<label><input type="checkbox" name="partial" value="1"> ${t(L, 'admin.tokens.partial')}</label>
<label><input type="checkbox" name="assign" value="1"> ${t(L, 'admin.tokens.assign')}</label>
<button type="submit">${t(L, 'admin.tokens.submit')}</button>
</form>`;
}

export function tokenStockPage(deps: TokenStockDeps): ConsolePage {
  return {
    path: TOKENS_PAGE,
    role: 'admin',
    nav: 'admin.nav.tokens',
    routes(router, ctx) {
      router.get('/', async (req, res) => {
        const L = ctx.locale(req);
        ctx.render(req, res, 200, t(L, 'admin.tokens.title'), stockView(req, res, ctx, L, await stock(deps.db)));
      });

      router.post('/import', multipartBody(MAX_FILE_BYTES), async (req, res) => {
        const form = await readMultipart(req);
        // The CSRF check reads `_csrf` from the body: the multipart field, put where it looks.
        req.body = { _csrf: form.text('_csrf') };
        ctx.checkCsrf(req);
        const L = ctx.locale(req);
        const admin = ctx.admin(res);
        try {
          const bytes = await form.file('file');
          if (!bytes) throw new FactorgateError('BAD_REQUEST', { detail: 'no file in the import form', publicDetail: 'choose a file to import' });
          const report = await deps.tokens.importTokens(parseFile(form, bytes), { partial: form.text('partial') === '1', assign: form.text('assign') === '1' });
          await deps.audit.record({
            event: 'admin-action',
            result: report.stored ? 'success' : 'failure',
            detail: JSON.stringify({ action: 'import-tokens', admin: `console:${admin.name}`, format: form.text('format'), imported: report.imported, assigned: report.assigned, problems: report.problems.length }),
          });
          deps.logger.info({ admin: admin.name, imported: report.imported, problems: report.problems.length }, 'tokens imported from the console');
          ctx.render(req, res, report.stored ? 200 : 400, t(L, 'admin.tokens.title'), stockView(req, res, ctx, L, await stock(deps.db), { report }));
        } catch (err) {
          if (!(err instanceof FactorgateError) || err.code !== 'BAD_REQUEST') throw err;
          deps.logger.info({ admin: admin.name, refused: err.detail }, 'token import refused');
          ctx.render(req, res, 400, t(L, 'admin.tokens.title'), stockView(req, res, ctx, L, await stock(deps.db), { error: err.publicDetail ?? t(L, 'error.BAD_REQUEST') }));
        }
      });
    },
  };
}
