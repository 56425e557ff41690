/**
 * The challenge page (`GET /mfa/:id`). Plain server-rendered HTML: works without JavaScript,
 * one labelled code field (`autocomplete="one-time-code"`, `inputmode="numeric"`) with its
 * hint and, after a refusal, the one neutral message tied to it by `aria-describedby` and
 * announced as an alert. Never cached: during enrolment it carries the new secret.
 */
import { LOCALES, t, type Locale } from '../kit/i18n.js';
import { html, type SafeHtml } from '../kit/pages/html.js';
import { layout } from '../kit/pages/layout.js';
import type { ChallengeRequest, Method, PageNotice } from './challenge-context.js';
import './messages.js';

const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', fr: 'Français' };

export function methodLabel(m: Method, locale: Locale): string {
  const base = m.factor.label(locale);
  const named = m.row.label ? `${base} (${m.row.label})` : base;
  return m.row.is_default === 1 ? `${named} · ${t(locale, 'mfa.default')}` : named;
}

/** "Use a backup code" where a method names its own link, else "Use {method}". */
function useMethodText(m: Method, locale: Locale): string {
  const specific = `mfa.useMethod.${m.row.kind}`;
  return t(locale, specific) === specific ? t(locale, 'mfa.useMethod', { method: methodLabel(m, locale) }) : t(locale, specific);
}

/** `?lang=` chosen by the user is carried into the form actions so the answer stays in it. */
function forcedLang(ctx: ChallengeRequest): Locale | undefined {
  const q = ctx.req.query?.lang;
  return q === 'en' || q === 'fr' ? q : undefined;
}

export function challengePath(ctx: ChallengeRequest, lang?: Locale): string {
  return `/mfa/${ctx.challenge.id}${lang ? `?lang=${lang}` : ''}`;
}

export type { PageNotice } from './challenge-context.js';

export interface PageOptions {
  /** A code was refused: the one neutral message (or, for a reused code, what to do instead). */
  failed?: boolean;
  notice?: PageNotice;
  /** With notice `wait`: seconds until another code may be asked for. */
  waitSeconds?: number;
}

/**
 * A reused code is the one refusal the page names (issue 26 item 7): the user typed a right
 * code a second time and needs to know to wait for the next, not to check their typing.
 */
function failureMessage(ctx: ChallengeRequest, method: Method): string {
  const L = ctx.locale;
  if (ctx.verdict?.ok === false && ctx.verdict.reason === 'REPLAY') {
    const specific = `mfa.failed.replay.${method.row.kind}`;
    return t(L, specific) === specific ? t(L, 'mfa.failed.replay') : t(L, specific);
  }
  const own = `mfa.failed.${method.row.kind}`;
  return t(L, own) === own ? t(L, 'mfa.failed') : t(L, own);
}

/**
 * Whether the page asks for the code. A delivered method asks only once a code went out for
 * this challenge: before that, "Send me a code" is the page's only action.
 */
async function codeWasSent(ctx: ChallengeRequest, method: Method, notice: PageNotice | undefined): Promise<boolean> {
  if (!method.factor.send || ctx.enrolling) return true;
  if (notice === 'sent' || notice === 'pending') return true;
  return method.factor.sentFor ? method.factor.sentFor({ challengeId: ctx.challenge.id, factorRow: method.row }) : true;
}

export async function renderChallengePage(ctx: ChallengeRequest, opts: PageOptions = {}): Promise<void> {
  const L = ctx.locale;
  const method = ctx.enrolling ?? ctx.selected ?? ctx.methods[0];
  if (!method) throw new Error('renderChallengePage needs a method to show');
  const enrolling = ctx.enrolling !== null;
  const failed = opts.failed === true;
  const token = ctx.deps.csrf.token(ctx.req, ctx.res);
  const action = challengePath(ctx, forcedLang(ctx));
  const title = t(L, enrolling ? 'mfa.enrol.title' : 'mfa.title');
  const instructions: SafeHtml | '' = enrolling && method.factor.enrolment
    ? await method.factor.enrolment.render({ user: ctx.user, factorRow: method.row, locale: L })
    : '';
  const others = enrolling ? [] : ctx.methods.filter((m) => m.row.id !== method.row.id);
  const name = ctx.user.displayName ?? ctx.user.username;
  const notice = opts.notice;
  const askPin = method.factor.pinRequired?.(method.row) === true;
  const outOfBand = method.factor.awaitsConfirmation?.(method.row) === true;
  const delivered = method.factor.send !== undefined && !enrolling;
  const sent = await codeWasSent(ctx, method, notice);
  // A delivered method sends only when asked (a button, no JavaScript): before the first send
  // it is the page's main button, afterwards a link under the code field.
  const sendForm = delivered
    ? html`<form method="post" action="${action}"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="method" value="${method.row.id}"><input type="hidden" name="send" value="1"><button type="submit" id="send" class="${sent ? 'link' : ''}">${t(L, sent ? 'mfa.resend' : 'mfa.send')}</button></form>`
    : '';
  // "Remember this device", where the policy offers it, never while enrolling a first method.
  const rememberDays = ctx.policy?.rememberDeviceDays.value ?? 0;
  const remember: SafeHtml | '' = rememberDays > 0 && ctx.deps.devices && !enrolling
    ? html`<p><input type="checkbox" id="remember" name="remember" value="1"><label for="remember">${t(L, rememberDays === 1 ? 'mfa.rememberDay' : 'mfa.rememberDays', { days: String(rememberDays) })}</label></p>`
    : '';
  const codeField = method.factor.renderField
    ? await method.factor.renderField({ user: ctx.user, factorRow: method.row, locale: L, challengeId: ctx.challenge.id })
    : outOfBand
    ? html`<p class="muted" id="code-hint">${method.factor.prompt(L, method.row)}</p>
<input type="hidden" name="confirm" value="1">
${remember}
<button type="submit">${t(L, 'mfa.continue')}</button>`
    : html`<label for="code">${t(L, delivered ? 'mfa.codeSent' : 'mfa.code')}</label>
<p class="muted" id="code-hint"><small>${method.factor.prompt(L, method.row)}</small></p>
<input type="text" id="code" name="code" class="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" maxlength="12" spellcheck="false" autocapitalize="none" required autofocus aria-describedby="${failed ? 'code-error code-hint' : 'code-hint'}"${failed ? html` aria-invalid="true"` : ''}>
${askPin ? html`<label for="pin">${t(L, 'mfa.pin')}</label>
<input type="password" id="pin" name="pin" inputmode="numeric" autocomplete="off" maxlength="12" required>` : ''}
${remember}
<button type="submit">${t(L, enrolling ? 'mfa.enrol.submit' : 'mfa.submit')}</button>`;
  const codeForm = sent
    ? html`<form method="post" action="${action}" novalidate>
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="method" value="${method.row.id}">
${codeField}
</form>`
    : html`<p class="muted" id="send-hint">${t(L, 'mfa.sendFirst', { method: methodLabel(method, L) })}</p>`;
  const noticeText = notice === 'wait' && opts.waitSeconds !== undefined
    ? t(L, opts.waitSeconds === 1 ? 'mfa.notice.waitSecond' : 'mfa.notice.waitSeconds', { seconds: String(opts.waitSeconds) })
    : notice ? t(L, `mfa.notice.${notice}`) : '';

  const body = html`<h1>${title}</h1>
<p class="muted">${t(L, 'mfa.signingInAs', { name })}</p>
${failed ? html`<p class="error" role="alert" id="code-error">${failureMessage(ctx, method)}</p>` : ''}
${notice ? html`<p class="${notice === 'sent' ? 'notice' : 'error'}" role="status" id="notice">${noticeText}</p>` : ''}
${instructions}
${codeForm}
${sendForm}
${others.length > 0
    ? html`<section aria-labelledby="other-methods">
<h2 id="other-methods">${t(L, 'mfa.otherMethods')}</h2>
<p class="muted" id="cant-use-phone"><small>${t(L, 'mfa.cantUsePhone')}</small></p>
<ul class="methods">${others.map(
        (m) => html`<li><form method="post" action="${action}"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="method" value="${m.row.id}"><button type="submit" class="link">${useMethodText(m, L)}</button></form></li>`,
      )}</ul>
</section>`
    : ''}
${ctx.deps.fraud
    ? html`<form method="post" action="${action}" id="fraud-form"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="fraud" value="1"><p class="muted"><small>${t(L, 'mfa.fraud.hint')}</small> <button type="submit" class="link" id="fraud">${t(L, 'mfa.fraud.button')}</button></p></form>`
    : ''}
<nav aria-label="${t(L, 'mfa.language')}"><p><small>${LOCALES.map((l, i) => html`${i > 0 ? ' · ' : ''}${
    l === L
      ? html`<span aria-current="true" lang="${l}">${LANGUAGE_NAMES[l]}</span>`
      : html`<a href="${challengePath(ctx, l)}" lang="${l}" hreflang="${l}">${LANGUAGE_NAMES[l]}</a>`
  }`)}</small></p></nav>`;

  ctx.res.setHeader('Cache-Control', 'no-store');
  ctx.res.setHeader('Pragma', 'no-cache');
  ctx.res
    .status(failed ? 401 : 200)
    .type('html')
    .send(layout({ locale: L, title, branding: ctx.deps.branding, body }));
}
