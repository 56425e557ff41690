/**
 * One user's page: identity, status, lock, PIN, bypass, methods (security keys among them),
 * hardware tokens, the last 50 audit records with deny reasons, and a link to the confirm step
 * of each action the admin's role allows. No secret is ever on it (`UserAdmin.show` reads none);
 * phone numbers and delivery addresses come masked for the help desk.
 */
import type { Request } from 'express';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import type { UserDetails } from '../../user-admin.js';
import type { ConsoleContext } from '../console-page.js';
import { roleAllows, type ConsoleRole } from '../admin-roles.js';
import { findAction } from './user-actions.js';
import { confirmPath } from './paths.js';

const ms = (iso: string) => Date.parse(iso);

export function userDetailView(req: Request, ctx: ConsoleContext, L: Locale, u: UserDetails, extra: { role: ConsoleRole; appPasswords: number; done: string | null; canMail: boolean }): SafeHtml {
  const time = (iso: string | null) => (iso === null ? '' : ctx.time(req, ms(iso)));
  const may = (action: string) => roleAllows(extra.role, findAction(action)!.role);
  const actionLink = (action: string, target?: string) => (may(action) ? html`<a class="action" href="${confirmPath(u.username, action, target)}">${t(L, `admin.action.${action}`)}</a>` : '');
  const row = (key: string, value: SafeHtml | string) => html`<tr><th scope="row">${t(L, key)}</th><td>${value}</td></tr>`;
  return html`<h1>${u.displayName ?? u.username}</h1>
${extra.done ? html`<p class="notice" role="status" id="done">${t(L, 'admin.user.done', { action: t(L, `admin.action.${extra.done}`) })}</p>` : ''}
<h2 id="identity">${t(L, 'admin.user.identity')}</h2>
<table class="list" aria-labelledby="identity">
${row('admin.user.username', u.username)}
${row('admin.user.displayName', u.displayName ?? '')}
${row('admin.user.upn', u.upn ?? '')}
${row('admin.user.email', u.email ?? '')}
${row('admin.user.phone', html`<span id="phone">${u.phone ?? ''}</span>`)}
${row('admin.user.source', u.source)}
${row('admin.user.status', html`<span id="status">${u.status === 'enabled' ? t(L, 'admin.users.enabled') : t(L, 'admin.users.disabled')}</span>${u.disabledBy.length ? html` <small>(${t(L, 'admin.user.disabledBy', { who: u.disabledBy.join(', ') })})</small>` : ''}`)}
${row('admin.user.lock', html`<span id="lock">${u.lockedUntil ? html`${t(L, 'admin.users.lockedUntil', { time: '' })}${time(u.lockedUntil)}` : t(L, 'admin.user.notLocked')}</span> <small>${t(L, 'admin.user.failures', { count: String(u.failedAttempts) })}</small>`)}
${row('admin.user.lastSignIn', u.lastSignIn ? time(u.lastSignIn) : t(L, 'admin.users.never'))}
${row('admin.user.pin', u.pinSet ? t(L, 'admin.user.pinSet') : t(L, 'admin.user.pinNotSet'))}
${row('admin.user.appPasswords', String(extra.appPasswords))}
${row('admin.user.bypass', html`<span id="bypass">${u.bypass ? html`${t(L, 'admin.user.bypassActive', { time: '', by: u.bypass.grantedBy, reason: u.bypass.reason })} ${time(u.bypass.expiresAt)}` : t(L, 'admin.user.noBypass')}</span>`)}
</table>

<h2 id="actions">${t(L, 'admin.user.actions')}</h2>
<ul class="actions" aria-labelledby="actions">
${['unlock', 'reset-methods', 'bypass', ...(extra.canMail ? ['resend-enrolment'] : []), 'revoke-app-passwords', u.status === 'enabled' ? 'disable' : 'enable', 'assign-token'].map((a) => (may(a) ? html`<li>${actionLink(a)}</li>` : ''))}
</ul>

<h2 id="methods">${t(L, 'admin.user.methods')}</h2>
${u.methods.length === 0
    ? html`<p>${t(L, 'admin.user.noMethods')}</p>`
    : html`<table class="list" id="methods-table" aria-labelledby="methods"><thead><tr><th scope="col">${t(L, 'admin.user.col.method')}</th><th scope="col">${t(L, 'admin.user.col.label')}</th><th scope="col">${t(L, 'admin.user.col.address')}</th><th scope="col">${t(L, 'admin.user.col.created')}</th><th scope="col">${t(L, 'admin.user.col.lastUsed')}</th><th></th></tr></thead>
<tbody>${u.methods.map(
        (m) => html`<tr><td>${m.kind}${m.isDefault ? html` <small>(${t(L, 'admin.user.default')})</small>` : ''}${m.confirmed ? '' : html` <small>(${t(L, 'admin.user.unconfirmed')})</small>`}</td><td>${m.label ?? ''}</td><td>${m.address ?? ''}</td><td>${time(m.createdAt)}</td><td>${time(m.lastUsedAt)}</td><td>${actionLink('remove-method', m.id)}</td></tr>`,
      )}</tbody></table>`}

<h2 id="tokens">${t(L, 'admin.user.tokens')}</h2>
${u.tokens.length === 0
    ? html`<p>${t(L, 'admin.user.noTokens')}</p>`
    : html`<table class="list" id="tokens-table" aria-labelledby="tokens"><thead><tr><th scope="col">${t(L, 'admin.user.col.serial')}</th><th scope="col">${t(L, 'admin.user.col.kind')}</th><th scope="col">${t(L, 'admin.user.col.lastUsed')}</th><th></th></tr></thead>
<tbody>${u.tokens.map(
        (k) => html`<tr><td>${k.serial}${k.disabled ? html` <small>(${t(L, 'admin.user.tokenDisabled')})</small>` : ''}</td><td>${k.kind}</td><td>${time(k.lastUsedAt)}</td><td>${actionLink('resync-token', k.serial)} ${actionLink('unassign-token', k.serial)}</td></tr>`,
      )}</tbody></table>`}

<h2 id="history">${t(L, 'admin.user.history')}</h2>
${u.history.length === 0
    ? html`<p>${t(L, 'admin.user.noHistory')}</p>`
    : html`<table class="list" id="history-table" aria-labelledby="history"><thead><tr><th scope="col">${t(L, 'admin.user.col.when')}</th><th scope="col">${t(L, 'admin.user.col.event')}</th><th scope="col">${t(L, 'admin.user.col.result')}</th><th scope="col">${t(L, 'admin.user.col.method')}</th><th scope="col">${t(L, 'admin.user.col.reason')}</th><th scope="col">${t(L, 'admin.user.col.where')}</th><th scope="col">${t(L, 'admin.user.col.client')}</th><th scope="col">${t(L, 'admin.user.col.detail')}</th></tr></thead>
<tbody>${u.history.map(
        (h) => html`<tr><td>${time(h.ts)}</td><td>${h.event}</td><td>${h.result}</td><td>${h.method ?? ''}</td><td class="deny-reason">${h.denyReason ?? ''}</td><td>${[h.adapter, h.relyingParty].filter(Boolean).join(' / ')}</td><td>${h.clientIp ?? ''}</td><td><small>${h.detail ?? ''}</small></td></tr>`,
      )}</tbody></table>`}`;
}
