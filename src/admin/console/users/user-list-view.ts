/** The users list: the search form and one row per user with status, methods and last sign-in. */
import type { Request } from 'express';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import type { UserSearchPage } from '../../user-search.js';
import type { ConsoleContext } from '../console-page.js';
import { USERS_PATH, userPath } from './paths.js';

function pageLink(query: string, page: number): string {
  const p = new URLSearchParams();
  if (query !== '') p.set('q', query);
  if (page > 0) p.set('page', String(page));
  const s = p.toString();
  return s ? `${USERS_PATH}?${s}` : USERS_PATH;
}

/** The search box (a GET form: a search is a link one can share or bookmark). */
export function searchForm(L: Locale, query: string): SafeHtml {
  return html`<form method="get" action="${USERS_PATH}" role="search">
<label for="q">${t(L, 'admin.users.search')}</label>
<input type="text" id="q" name="q" value="${query}" autocomplete="off" autocapitalize="none" spellcheck="false">
<button type="submit">${t(L, 'admin.users.searchButton')}</button>
</form>`;
}

export function userListView(req: Request, ctx: ConsoleContext, L: Locale, found: UserSearchPage): SafeHtml {
  const time = (ms: number) => ctx.time(req, ms);
  return html`<h1>${t(L, 'admin.users.title')}</h1>
${searchForm(L, found.query)}
${found.users.length === 0
    ? html`<p id="no-users">${t(L, 'admin.users.none')}</p>`
    : html`<table class="list" id="users">
<thead><tr><th scope="col">${t(L, 'admin.users.col.user')}</th><th scope="col">${t(L, 'admin.users.col.status')}</th><th scope="col">${t(L, 'admin.users.col.methods')}</th><th scope="col">${t(L, 'admin.users.col.lastSignIn')}</th></tr></thead>
<tbody>${found.users.map(
        (u) => html`<tr>
<td><a href="${userPath(u.username)}">${u.username}</a>${u.displayName ? html`<br><small>${u.displayName}</small>` : ''}${u.email ? html`<br><small>${u.email}</small>` : ''}</td>
<td>${u.disabled ? t(L, 'admin.users.disabled') : t(L, 'admin.users.enabled')}${u.lockedUntil !== null ? html`<br><strong class="locked">${t(L, 'admin.users.lockedUntil', { time: '' })}${time(u.lockedUntil)}</strong>` : ''}${u.bypassUntil !== null ? html`<br><span class="bypass">${t(L, 'admin.users.bypassUntil', { time: '' })}${time(u.bypassUntil)}</span>` : ''}</td>
<td>${u.methods.length > 0 ? u.methods.join(', ') : t(L, 'admin.users.noMethod')}</td>
<td>${u.lastSignIn ? html`${time(u.lastSignIn.at)}<br><small>${u.lastSignIn.event}: ${u.lastSignIn.result}${u.lastSignIn.denyReason ? ` (${u.lastSignIn.denyReason})` : ''}</small>` : t(L, 'admin.users.never')}</td>
</tr>`,
      )}</tbody></table>`}
<p>${found.page > 0 ? html`<a href="${pageLink(found.query, found.page - 1)}" rel="prev">${t(L, 'admin.users.previous')}</a> ` : ''}${found.hasNext ? html`<a href="${pageLink(found.query, found.page + 1)}" rel="next">${t(L, 'admin.users.next')}</a>` : ''}</p>`;
}
