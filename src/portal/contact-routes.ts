/**
 * `/portal/methods/contact` (issue 19): a user adds a phone (text message or voice call) or an
 * email address for codes, or changes one they added, where the directory does not own it
 * (`portal.directoryOwns`). The number or address counts only once a code sent to it comes back
 * (NIST SP 800-63B §6.1.2.1: an out-of-band authenticator is bound by proving possession); until
 * then its row is unconfirmed and no sign-in offers it. A change keeps the method's row (its name,
 * default, history) and swaps in the new address only after the new one is verified. Addresses
 * are sealed at rest; pages, logs and the audit see them masked.
 *
 * GET `/portal/methods/contact?kind=sms|voice|email[&replaces=ID]`: the form; POST
 * `/portal/methods/contact` (`_csrf`, `kind`, `to`, `replaces`): sends a code and redirects to
 * `/portal/methods/contact/:id`, whose form takes `code` (`action=verify`) or asks for a new one
 * (`action=resend`).
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { UserRecord } from '../api/host-api.js';
import type { Database, FactorRow } from '../store/schema.js';
import type { ContactEnrolment, Factor } from '../factors/factor.js';
import { isSelfAdded } from '../factors/delivered-code-factor.js';
import { html, type SafeHtml } from '../kit/pages/html.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { bodyField, formField, portalPost, portalUser, type SignedInUser } from './signed-in-user.js';
import type { AccountChangeDeps } from './portal-deps.js';
import { seeOther } from '../http/see-other.js';

addMessages('en', {
  'contact.add.sms': 'Add a phone for text messages',
  'contact.add.voice': 'Add a phone for voice calls',
  'contact.add.email': 'Add an email address for codes',
  'contact.change': 'Change',
  'contact.title.add': 'Add a phone or email address',
  'contact.title.change': 'Change {method}',
  'contact.field.phone': 'Phone number (with the country code, for example +33 6 12 34 56 78)',
  'contact.field.email': 'Email address',
  'contact.send': 'Send me a code',
  'contact.verifyTitle': 'Confirm it is yours',
  'contact.sentTo': 'We sent a code to {to}. It counts as a sign-in method once you enter it here.',
  'contact.callTo': 'We are calling {to}. Answer, press # when asked, then choose Continue.',
  'contact.code': 'Code',
  'contact.verify': 'Confirm',
  'contact.continue': 'Continue',
  'contact.resend': 'Send a new code',
  'contact.resent': 'A new code was sent.',
  'contact.back': 'Back to your sign-in methods',
  'contact.error.BAD_ADDRESS': 'That does not look like a phone number or email address we can send to.',
  'contact.error.BAD_CODE': 'That code did not work. Check it and try again, or ask for a new one.',
  'contact.error.PENDING': 'The call has not been answered with # yet. Answer it, press #, then choose Continue.',
  'contact.error.SEND_FAILED': 'We could not send a code just now. Wait a minute and try again.',
  'contact.error.NOT_OFFERED': 'Your administrator manages this contact detail.',
  'contact.error.NOT_FOUND': 'This request has expired. Start again from your sign-in methods.',
});
addMessages('fr', {
  'contact.add.sms': 'Ajouter un téléphone pour les SMS',
  'contact.add.voice': 'Ajouter un téléphone pour les appels vocaux',
  'contact.add.email': 'Ajouter une adresse e-mail pour les codes',
  'contact.change': 'Modifier',
  'contact.title.add': 'Ajouter un téléphone ou une adresse e-mail',
  'contact.title.change': 'Modifier {method}',
  'contact.field.phone': 'Numéro de téléphone (avec l’indicatif du pays, par exemple +33 6 12 34 56 78)',
  'contact.field.email': 'Adresse e-mail',
  'contact.send': 'M’envoyer un code',
  'contact.verifyTitle': 'Confirmez qu’il vous appartient',
  'contact.sentTo': 'Nous avons envoyé un code au {to}. Il devient une méthode de connexion dès que vous le saisissez ici.',
  'contact.callTo': 'Nous appelons le {to}. Répondez, appuyez sur # quand on vous le demande, puis choisissez Continuer.',
  'contact.code': 'Code',
  'contact.verify': 'Confirmer',
  'contact.continue': 'Continuer',
  'contact.resend': 'Envoyer un nouveau code',
  'contact.resent': 'Un nouveau code a été envoyé.',
  'contact.back': 'Retour à vos méthodes de connexion',
  'contact.error.BAD_ADDRESS': 'Ce n’est pas un numéro de téléphone ou une adresse e-mail auxquels nous pouvons écrire.',
  'contact.error.BAD_CODE': 'Ce code n’a pas fonctionné. Vérifiez-le et réessayez, ou demandez-en un nouveau.',
  'contact.error.PENDING': 'L’appel n’a pas encore reçu de #. Répondez, appuyez sur #, puis choisissez Continuer.',
  'contact.error.SEND_FAILED': 'Impossible d’envoyer un code pour l’instant. Patientez une minute et réessayez.',
  'contact.error.NOT_OFFERED': 'Votre administrateur gère cette coordonnée.',
  'contact.error.NOT_FOUND': 'Cette demande a expiré. Recommencez depuis vos méthodes de connexion.',
});

export const CONTACT_PATH = '/portal/methods/contact';
const METHODS_PATH = '/portal/methods';
/** An address started here and never verified is dropped after an hour. */
const PENDING_MS = 3_600_000;

type Problem = 'BAD_ADDRESS' | 'BAD_CODE' | 'PENDING' | 'SEND_FAILED' | 'NOT_OFFERED' | 'NOT_FOUND';
type ContactKind = 'sms' | 'voice' | 'email';
type Offered = Factor & { kind: ContactKind; contact: ContactEnrolment };

/** The delivered methods users may add themselves: configured, and not owned by the directory. */
export function offeredContactFactors(factors: readonly Factor[], directoryOwns: readonly ('phone' | 'email')[]): Offered[] {
  return factors.filter((f): f is Offered => {
    if (!f.contact || !(f.kind === 'sms' || f.kind === 'voice' || f.kind === 'email')) return false;
    return !directoryOwns.includes(f.kind === 'email' ? 'email' : 'phone');
  });
}

/** The code sent to a new address is bound to its own row, never to a sign-in challenge. */
export function verificationId(factorId: string): string {
  return `portal-contact:${factorId}`;
}

/** The links under the methods table ("Add a phone for text messages", …). */
export function addContactLinks(L: Locale, offered: readonly Factor[]): SafeHtml {
  return html`${offered.map((f) => html`<p><a href="${CONTACT_PATH}?kind=${f.kind}">${t(L, `contact.add.${f.kind}`)}</a></p>`)}`;
}

/** A "Change" link for a method the user added themselves, when its kind is still theirs to set. */
export function changeContactLink(L: Locale, row: FactorRow, offered: readonly Factor[]): SafeHtml | '' {
  return isSelfAdded(row) && offered.some((f) => f.kind === row.kind) ? html`<a href="${CONTACT_PATH}?kind=${row.kind}&amp;replaces=${row.id}">${t(L, 'contact.change')}</a>` : '';
}

export interface ContactDeps extends AccountChangeDeps {
  db: Kysely<Database>;
  factors: readonly Factor[];
  directoryOwns: readonly ('phone' | 'email')[];
  /** The methods page with a notice (after a verified address). */
  showMethods(req: Request, res: Response, status: number, user: UserRecord, done: 'contactAdded' | 'changed'): Promise<void>;
}

interface PendingParams {
  self: true;
  replaces?: string;
}

function readPending(row: FactorRow): PendingParams | null {
  try {
    const p = JSON.parse(row.params) as { self?: unknown; replaces?: unknown };
    if (p.self !== true) return null;
    return typeof p.replaces === 'string' ? { self: true, replaces: p.replaces } : { self: true };
  } catch {
    return null;
  }
}

export function mountContactPortal(router: Router, deps: ContactDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });
  const offered = offeredContactFactors(deps.factors, deps.directoryOwns);
  const factorOf = (kind: string) => offered.find((f) => f.kind === kind);


  /** The user's own confirmed method of this kind that a change would replace. */
  const replaceable = async (userId: string, kind: string, id: string): Promise<FactorRow | undefined> => {
    if (id === '') return undefined;
    const row = await deps.db.selectFrom('factors').selectAll().where('id', '=', id).where('user_id', '=', userId).where('kind', '=', kind).where('confirmed', '=', 1).executeTakeFirst();
    return row && isSelfAdded(row) ? row : undefined;
  };

  const pendingRow = (userId: string, id: string) =>
    deps.db.selectFrom('factors').selectAll().where('id', '=', id).where('user_id', '=', userId).where('confirmed', '=', 0).executeTakeFirst();

  const showForm = (req: Request, res: Response, status: number, factor: Offered, replaces: FactorRow | undefined, error?: Problem, typed = '') => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const title = replaces ? t(L, 'contact.title.change', { method: replaces.label ?? factor.label(L) }) : t(L, `contact.add.${factor.kind}`);
    const email = factor.kind === 'email';
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      title,
      html`<h1>${title}</h1>
${error ? html`<p class="error" role="alert" id="contact-error">${t(L, `contact.error.${error}`)}</p>` : ''}
<form method="post" action="${CONTACT_PATH}" novalidate>
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="kind" value="${factor.kind}">
${replaces ? html`<input type="hidden" name="replaces" value="${replaces.id}">` : ''}
<label for="to">${t(L, email ? 'contact.field.email' : 'contact.field.phone')}</label>
<input type="${email ? 'email' : 'tel'}" id="to" name="to" autocomplete="${email ? 'email' : 'tel'}" maxlength="254" value="${typed}" required${error === 'BAD_ADDRESS' || error === 'SEND_FAILED' ? html` aria-invalid="true" aria-describedby="contact-error"` : ''}>
<button type="submit">${t(L, 'contact.send')}</button>
</form>
<p><a href="${METHODS_PATH}">${t(L, 'contact.back')}</a></p>`,
    );
  };

  const showVerify = (req: Request, res: Response, status: number, factor: Offered, row: FactorRow, opts: { error?: Problem; resent?: boolean } = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const to = factor.contact.mask(factor.contact.addressOf(row) ?? '');
    const pound = factor.awaitsConfirmation?.(row) === true;
    const action = `${CONTACT_PATH}/${row.id}`;
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'contact.verifyTitle'),
      html`<h1>${t(L, 'contact.verifyTitle')}</h1>
${opts.error ? html`<p class="error" role="alert" id="code-error">${t(L, `contact.error.${opts.error}`)}</p>` : ''}
${opts.resent ? html`<p class="notice" role="status">${t(L, 'contact.resent')}</p>` : ''}
<p>${t(L, pound ? 'contact.callTo' : 'contact.sentTo', { to })}</p>
<form method="post" action="${action}" novalidate>
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="action" value="verify">
${pound
        ? html`<button type="submit">${t(L, 'contact.continue')}</button>`
        : html`<label for="code">${t(L, 'contact.code')}</label>
<input type="text" id="code" name="code" class="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" maxlength="12" required${opts.error === 'BAD_CODE' ? html` aria-invalid="true" aria-describedby="code-error"` : ''}>
<button type="submit">${t(L, 'contact.verify')}</button>`}
</form>
<form method="post" action="${action}"><input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="action" value="resend"><button type="submit" class="link">${t(L, 'contact.resend')}</button></form>
<p><a href="${METHODS_PATH}">${t(L, 'contact.back')}</a></p>`,
    );
  };

  const guard = async (req: Request, res: Response, event: string, returnTo: string): Promise<SignedInUser | null> => {
    const who = await portalPost(deps, req, res);
    if (!who) return null;
    return (await deps.reauth.recent(who, req, res, { event, returnTo })) ? who : null;
  };

  const send = (who: SignedInUser, factor: Offered, row: FactorRow, req: Request) =>
    factor.send!({ user: who.user, factorRow: row, locale: deps.locale(req), now: deps.clock.now(), challengeId: verificationId(row.id) });

  router.get(CONTACT_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    const factor = factorOf(formField(req.query.kind, 10));
    if (!factor) return seeOther(res, METHODS_PATH);
    const replacesId = formField(req.query.replaces, 64);
    const replaces = await replaceable(who.user.id, factor.kind, replacesId);
    if (replacesId !== '' && !replaces) return showForm(req, res, 404, factor, undefined, 'NOT_FOUND');
    showForm(req, res, 200, factor, replaces);
  });

  router.post(CONTACT_PATH, form, async (req, res) => {
    const kind = bodyField(req, 'kind', 10);
    const replacesId = bodyField(req, 'replaces', 64);
    const event = replacesId === '' ? 'method-add' : 'method-change';
    const who = await guard(req, res, event, METHODS_PATH);
    if (!who) return;
    const base = { event, user: who.user, method: kind, adapter: 'host', clientIp: req.ip } as const;
    const factor = factorOf(kind);
    if (!factor) {
      await deps.audit.record({ ...base, result: 'failure', denyReason: 'NOT_OFFERED' });
      return seeOther(res, METHODS_PATH);
    }
    const replaces = await replaceable(who.user.id, kind, replacesId);
    if (replacesId !== '' && !replaces) return showForm(req, res, 404, factor, undefined, 'NOT_FOUND');
    const typed = bodyField(req, 'to', 254);
    const to = factor.contact.parse(typed);
    if (!to) {
      await deps.audit.record({ ...base, result: 'failure', denyReason: 'BAD_ADDRESS' });
      return showForm(req, res, 400, factor, replaces, 'BAD_ADDRESS', typed);
    }
    const now = deps.clock.now();
    await deps.db.deleteFrom('factors').where('user_id', '=', who.user.id).where('confirmed', '=', 0).where('created_at', '<', now - PENDING_MS).execute();
    const id = randomUUID();
    const material = factor.contact.material(id, to);
    const params: PendingParams = replaces ? { ...material.params, replaces: replaces.id } : material.params;
    await deps.db
      .insertInto('factors')
      .values({ id, user_id: who.user.id, kind, label: null, secret_enc: material.secretEnc, params: JSON.stringify(params), is_default: 0, confirmed: 0, last_used_step: null, created_at: now, last_used_at: null })
      .execute();
    const row = (await pendingRow(who.user.id, id))!;
    const sent = await send(who, factor, row, req);
    if (!sent.sent) {
      await deps.db.deleteFrom('factors').where('id', '=', id).execute();
      await deps.audit.record({ ...base, result: 'failure', deviceToken: id, denyReason: sent.reason, detail: sent.detail });
      return showForm(req, res, sent.reason === 'DELIVERY_FAILED' ? 503 : 429, factor, replaces, 'SEND_FAILED', typed);
    }
    await deps.audit.record({ ...base, result: 'info', deviceToken: id, detail: `verification sent to ${factor.contact.mask(to)}` });
    seeOther(res, `${CONTACT_PATH}/${id}`);
  });

  router.get(`${CONTACT_PATH}/:id`, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    const row = await pendingRow(who.user.id, req.params.id ?? '');
    const factor = row && readPending(row) ? factorOf(row.kind) : undefined;
    if (!row || !factor) return seeOther(res, METHODS_PATH);
    showVerify(req, res, 200, factor, row);
  });

  router.post(`${CONTACT_PATH}/:id`, form, async (req, res) => {
    const id = formField(req.params.id, 64);
    const pendingOf = async (userId: string) => {
      const row = await pendingRow(userId, id);
      const pending = row ? readPending(row) : null;
      return row && pending ? { row, pending, factor: factorOf(row.kind) } : null;
    };
    const who = await guard(req, res, 'method-add', `${CONTACT_PATH}/${encodeURIComponent(id)}`);
    if (!who) return;
    const found = await pendingOf(who.user.id);
    if (!found?.factor) return seeOther(res, METHODS_PATH);
    const { row, pending, factor } = found;
    const event = pending.replaces ? 'method-change' : 'method-add';
    const base = { event, user: who.user, method: row.kind, deviceToken: pending.replaces ?? row.id, adapter: 'host', clientIp: req.ip } as const;

    if (bodyField(req, 'action', 10) === 'resend') {
      const sent = await send(who, factor, row, req);
      await deps.audit.record({ ...base, result: sent.sent ? 'info' : 'failure', ...(sent.sent ? { detail: 'verification sent again' } : { denyReason: sent.reason, detail: sent.detail }) });
      return sent.sent ? showVerify(req, res, 200, factor, row, { resent: true }) : showVerify(req, res, 429, factor, row, { error: 'SEND_FAILED' });
    }

    const now = deps.clock.now();
    const verdict = await factor.contact.confirm({ factorRow: row, code: bodyField(req, 'code', 20), now, verificationId: verificationId(row.id) });
    if (!verdict.ok) {
      await deps.audit.record({ ...base, result: 'failure', denyReason: verdict.reason });
      return showVerify(req, res, verdict.reason === 'PENDING' ? 409 : 401, factor, row, { error: verdict.reason === 'PENDING' ? 'PENDING' : 'BAD_CODE' });
    }
    const to = factor.contact.addressOf(row)!;
    const target = pending.replaces ? await replaceable(who.user.id, row.kind, pending.replaces) : undefined;
    if (pending.replaces && !target) {
      await deps.db.deleteFrom('factors').where('id', '=', row.id).execute();
      await deps.audit.record({ ...base, result: 'failure', denyReason: 'NOT_FOUND' });
      return seeOther(res, METHODS_PATH);
    }
    // A changed email address hears of it too: the mail goes to the old address as well as the new.
    const previous = target && row.kind === 'email' ? (factor.contact.addressOf(target) ?? undefined) : undefined;
    await deps.db.transaction().execute(async (trx) => {
      if (target) {
        // The method keeps its row (name, default, history): only its address changes.
        await trx.updateTable('factors').set({ secret_enc: factor.contact.material(target.id, to).secretEnc }).where('id', '=', target.id).execute();
        await trx.deleteFrom('factors').where('id', '=', row.id).execute();
      } else {
        await trx.updateTable('factors').set({ confirmed: 1 }).where('id', '=', row.id).where('confirmed', '=', 0).execute();
      }
    });
    await deps.audit.record({ ...base, result: 'success', detail: factor.contact.mask(to) });
    await deps.notices.changed(who.user, target ? 'contact-changed' : 'contact-added', { locale: deps.locale(req), clientIp: req.ip, alsoTo: previous });
    await deps.showMethods(req, res, 200, who.user, target ? 'changed' : 'contactAdded');
  });
}
