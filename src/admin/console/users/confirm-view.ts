/** The confirm step of one action: what it will do, the fields it needs, a required reason, Confirm or Cancel. */
import type { Request, Response } from 'express';
import { html, type SafeHtml } from '../../../kit/pages/html.js';
import { t, type Locale } from '../../../kit/i18n.js';
import type { ConsoleContext } from '../console-page.js';
import type { ActionField, UserAction } from './user-actions.js';
import { actionPath, userPath } from './paths.js';

export interface ConfirmViewInput {
  username: string;
  action: UserAction;
  target: string;
  /** Words of the action's description ({method}, {serial}, {count}, {to}). */
  vars: Record<string, string>;
  maxMinutes: number;
  defaultMinutes: number;
  /** A refusal to show above the form (after a post that failed a check), with what was typed. */
  error?: string | undefined;
  typed?: Partial<Record<ActionField | 'reason', string>>;
}

const FIELD_LABEL: Record<ActionField, string> = { minutes: 'admin.confirm.minutes', serial: 'admin.confirm.serial', code1: 'admin.confirm.code1', code2: 'admin.confirm.code2' };

export function confirmView(req: Request, res: Response, ctx: ConsoleContext, L: Locale, v: ConfirmViewInput): SafeHtml {
  const field = (f: ActionField) => {
    const label = t(L, FIELD_LABEL[f], { max: String(v.maxMinutes) });
    const value = v.typed?.[f] ?? (f === 'minutes' ? String(v.defaultMinutes) : '');
    const numeric = f === 'minutes' || f === 'code1' || f === 'code2';
    return html`<label for="${f}">${label}</label>
<input type="text" id="${f}" name="${f}" value="${value}" required ${numeric ? html`inputmode="numeric" pattern="[0-9]*"` : ''} autocomplete="off">`;
  };
  const name = t(L, `admin.action.${v.action.name}`);
  return html`<h1>${t(L, 'admin.confirm.title', { action: name, user: v.username })}</h1>
${v.error ? html`<p class="error" role="alert" id="confirm-error">${v.error}</p>` : ''}
<p id="confirm-what">${t(L, `admin.confirm.${v.action.name}`, v.vars)}</p>
<form method="post" action="${actionPath(v.username, v.action.name)}">
<input type="hidden" name="_csrf" value="${ctx.csrfToken(req, res)}">
${v.action.needsTarget ? html`<input type="hidden" name="target" value="${v.target}">` : ''}
${v.action.fields.map(field)}
<label for="reason">${t(L, 'admin.confirm.reason')}</label>
<input type="text" id="reason" name="reason" required maxlength="500" value="${v.typed?.reason ?? ''}" autocomplete="off">
<button type="submit">${t(L, 'admin.confirm.submit')}</button>
</form>
<p><a href="${userPath(v.username)}">${t(L, 'admin.confirm.cancel')}</a></p>`;
}
