/**
 * The page a user meets when a sign-in is denied after primary authentication. Most reasons get
 * the one neutral message (STYLE.md habit 5); two are deliberate exceptions (issue 26, items 6
 * and 8), because the user can do something about them and the password was already right, so
 * nothing is revealed to someone who does not know it:
 * - LOCKED: the second step is locked, until when (local time with its UTC offset), and whom to
 *   ask;
 * - NOT_IN_MFA_GROUP: the directory's group filter leaves the user out of this service.
 */
import { addMessages, t, type Locale } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { localTime } from './local-time.js';

export interface HelpdeskConfig {
  text?: string | undefined;
  url?: string | undefined;
}

/** What the page needs to know about the denial (a `ChallengeOutcome` of result `denied` fits). */
export interface Denial {
  reason: string;
  /** When reason is LOCKED: the lock's end (ms since the epoch), if it is still in force. */
  lockedUntil?: number | null | undefined;
}

export interface DeniedPage {
  status: number;
  title: string;
  body: SafeHtml;
}

const en = {
  'denied.title': 'Sign-in could not be completed',
  'denied.generic': 'Sign-in could not be completed.',
  'denied.locked.title': 'Two-step verification is locked',
  'denied.locked.until': 'Too many wrong codes were entered, so the second step of sign-in is locked for your account until {time}.',
  'denied.locked.ended': 'Too many wrong codes were entered, so the second step of sign-in was locked for your account. The lock has just ended.',
  'denied.locked.retry': 'After that time, you can start again from the application.',
  'denied.locked.retryNow': 'Start again from the application.',
  'denied.outsideGroup.title': 'This account cannot sign in here',
  'denied.outsideGroup.body': 'Your password is correct, but your account is not in the group of users allowed to sign in through this service.',
  'denied.help': 'Need help?',
  'denied.helpdesk': 'Contact your help desk.',
};

const fr: Record<keyof typeof en, string> = {
  'denied.title': 'La connexion n’a pas pu aboutir',
  'denied.generic': 'La connexion n’a pas pu aboutir.',
  'denied.locked.title': 'La validation en deux étapes est verrouillée',
  'denied.locked.until': 'Trop de codes erronés ont été saisis : la deuxième étape de connexion est verrouillée pour votre compte jusqu’au {time}.',
  'denied.locked.ended': 'Trop de codes erronés ont été saisis : la deuxième étape de connexion était verrouillée pour votre compte. Le verrouillage vient de prendre fin.',
  'denied.locked.retry': 'Passé ce délai, vous pourrez recommencer depuis l’application.',
  'denied.locked.retryNow': 'Recommencez depuis l’application.',
  'denied.outsideGroup.title': 'Ce compte ne peut pas se connecter ici',
  'denied.outsideGroup.body': 'Votre mot de passe est correct, mais votre compte ne fait pas partie du groupe d’utilisateurs autorisés à se connecter par ce service.',
  'denied.help': 'Besoin d’aide ?',
  'denied.helpdesk': 'Contactez votre support informatique.',
};

addMessages('en', en);
addMessages('fr', fr);

/** The configured help-desk text (or the default in the page's language), a link when a URL is set. */
export function helpdeskLine(L: Locale, helpdesk: HelpdeskConfig): SafeHtml {
  const text = helpdesk.text ?? t(L, 'denied.helpdesk');
  return html`<p id="helpdesk"><strong>${t(L, 'denied.help')}</strong> ${helpdesk.url ? html`<a href="${helpdesk.url}">${text}</a>` : text}</p>`;
}

export function deniedPage(L: Locale, denial: Denial, opts: { helpdesk: HelpdeskConfig; timeZone: string; now: number }): DeniedPage {
  if (denial.reason === 'LOCKED') {
    const title = t(L, 'denied.locked.title');
    const until = denial.lockedUntil ?? null;
    const inForce = until !== null && until > opts.now;
    // The time is SafeHtml; t() only substitutes strings, so the sentence is split around it.
    const [before = '', after = ''] = t(L, 'denied.locked.until').split('{time}');
    const body = html`<h1>${title}</h1>
<p class="error" role="alert" id="denial">${inForce ? html`${before}${localTime(until, L, opts.timeZone)}${after}` : t(L, 'denied.locked.ended')}</p>
<p>${t(L, inForce ? 'denied.locked.retry' : 'denied.locked.retryNow')}</p>
${helpdeskLine(L, opts.helpdesk)}`;
    return { status: 403, title, body };
  }
  if (denial.reason === 'NOT_IN_MFA_GROUP') {
    const title = t(L, 'denied.outsideGroup.title');
    const body = html`<h1>${title}</h1>
<p class="error" role="alert" id="denial">${t(L, 'denied.outsideGroup.body')}</p>
${helpdeskLine(L, opts.helpdesk)}`;
    return { status: 403, title, body };
  }
  const title = t(L, 'denied.title');
  const body = html`<h1>${title}</h1>
<p class="error" role="alert" id="denial">${t(L, 'denied.generic')}</p>
${helpdeskLine(L, opts.helpdesk)}
<p><a href="/login">${t(L, 'page.back')}</a></p>`;
  return { status: 401, title, body };
}
