/**
 * `/portal/methods` (issue 19): a signed-in user's sign-in methods, each with its name, kind,
 * when it was added and last used; they add an authenticator app (several per user: QR code,
 * `otpauth://` link and key, confirmed by a first code), choose the default, rename one, and
 * remove one. Removing never leaves a user without a method while the enrolment policy requires
 * a second factor (backup codes do not count: they run out). Every change needs a second factor
 * verified in the last 5 minutes, carries the CSRF token and is audited.
 *
 * POST `/portal/methods`: `_csrf`, `action` (`default` | `rename` | `remove`), `factorId`, `label`.
 * POST `/portal/methods/add`: starts an authenticator app; `/portal/methods/confirm/:id` takes
 * `code` and `label` and makes it count.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { UserRecord } from '../api/host-api.js';
import { bodyField, portalPost, portalUser, type SignedInUser } from './signed-in-user.js';
import type { Database, FactorRow } from '../store/schema.js';
import type { Factor } from '../factors/factor.js';
import { BACKUP_CODE_KIND } from '../factors/backup-codes.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { isSelfAdded } from '../factors/delivered-code-factor.js';
import type { AccountChange } from '../delivery/index.js';
import { addContactLinks, changeContactLink, mountContactPortal, offeredContactFactors } from './contact-routes.js';
import { addKeyButton, mountSecurityKeyPortal } from './security-key-routes.js';
import type { AccountChangeDeps } from './portal-deps.js';
import { seeOther } from '../http/see-other.js';

addMessages('en', {
  'methods.title': 'Your sign-in methods',
  'methods.name': 'Name',
  'methods.kind': 'Kind',
  'methods.added': 'Added',
  'methods.lastUsed': 'Last used',
  'methods.never': 'never',
  'methods.default': 'default',
  'methods.makeDefault': 'Make default',
  'methods.rename': 'Rename',
  'methods.newName': 'New name for {method}',
  'methods.remove': 'Remove',
  'methods.managed': 'managed by your administrator',
  'methods.add': 'Add an authenticator app',
  'methods.addTitle': 'Add an authenticator app',
  'methods.label': 'A name for it (for example “work phone”)',
  'methods.code': 'Code shown in the app',
  'methods.confirm': 'Add this app',
  'methods.back': 'Back to your account',
  'methods.lostPhone': 'Lost your phone? Add the new one here, then remove the lost one. Backup codes get you in meanwhile.',
  'methods.done.added': 'The authenticator app was added.',
  'methods.done.default': 'The default method was changed.',
  'methods.done.renamed': 'The method was renamed.',
  'methods.done.removed': 'The method was removed.',
  'methods.done.changed': 'The method was changed.',
  'methods.done.contactAdded': 'The phone number or email address was verified and added.',
  'methods.done.keyAdded': 'The security key or passkey was added.',
  'methods.error.LAST_METHOD': 'This is your last sign-in method: add another one before removing it.',
  'methods.error.NOT_REMOVABLE': 'This method is managed by your administrator.',
  'methods.error.BAD_CODE': 'That code did not work. Check the app and try again.',
  'methods.error.BAD_LABEL': 'A name is 1 to 40 characters.',
  'methods.error.NOT_FOUND': 'That method no longer exists.',
});
addMessages('fr', {
  'methods.title': 'Vos méthodes de connexion',
  'methods.name': 'Nom',
  'methods.kind': 'Type',
  'methods.added': 'Ajoutée le',
  'methods.lastUsed': 'Dernière utilisation',
  'methods.never': 'jamais',
  'methods.default': 'par défaut',
  'methods.makeDefault': 'Choisir par défaut',
  'methods.rename': 'Renommer',
  'methods.newName': 'Nouveau nom pour {method}',
  'methods.remove': 'Supprimer',
  'methods.managed': 'gérée par votre administrateur',
  'methods.add': 'Ajouter une application d’authentification',
  'methods.addTitle': 'Ajouter une application d’authentification',
  'methods.label': 'Un nom pour la reconnaître (par exemple « téléphone pro »)',
  'methods.code': 'Code affiché par l’application',
  'methods.confirm': 'Ajouter cette application',
  'methods.back': 'Retour à votre compte',
  'methods.lostPhone': 'Téléphone perdu ? Ajoutez le nouveau ici, puis supprimez celui que vous avez perdu. Vos codes de secours vous permettent de vous connecter en attendant.',
  'methods.done.added': 'L’application d’authentification a été ajoutée.',
  'methods.done.default': 'La méthode par défaut a été changée.',
  'methods.done.renamed': 'La méthode a été renommée.',
  'methods.done.removed': 'La méthode a été supprimée.',
  'methods.done.changed': 'La méthode a été modifiée.',
  'methods.done.contactAdded': 'Le numéro de téléphone ou l’adresse e-mail a été vérifié et ajouté.',
  'methods.done.keyAdded': 'La clé de sécurité ou clé d’accès a été ajoutée.',
  'methods.error.LAST_METHOD': 'C’est votre dernière méthode de connexion : ajoutez-en une autre avant de la supprimer.',
  'methods.error.NOT_REMOVABLE': 'Cette méthode est gérée par votre administrateur.',
  'methods.error.BAD_CODE': 'Ce code n’a pas fonctionné. Vérifiez l’application et réessayez.',
  'methods.error.BAD_LABEL': 'Un nom compte de 1 à 40 caractères.',
  'methods.error.NOT_FOUND': 'Cette méthode n’existe plus.',
});

export const METHODS_PATH = '/portal/methods';
const MAX_LABEL = 40;
/**
 * Methods a user may remove themselves: apps, keys, and numbers or addresses they added; the
 * others come from the directory or an administrator.
 */
const removable = (row: FactorRow) => row.kind === 'totp' || row.kind === 'webauthn' || isSelfAdded(row);

type Problem = 'LAST_METHOD' | 'NOT_REMOVABLE' | 'BAD_CODE' | 'BAD_LABEL' | 'NOT_FOUND';
type Done = 'added' | 'default' | 'renamed' | 'removed' | 'changed' | 'contactAdded' | 'keyAdded';

const NOTICE: Record<Exclude<Done, 'added' | 'changed' | 'contactAdded' | 'keyAdded'>, AccountChange> = { default: 'default-changed', renamed: 'method-renamed', removed: 'method-removed' };

export interface MethodsDeps extends AccountChangeDeps {
  db: Kysely<Database>;
  factors: readonly Factor[];
  /** `portal.directoryOwns`: contact details users may not add or change themselves. */
  directoryOwns: readonly ('phone' | 'email')[];
  /** Whether a user must keep a second factor (the enrolment policy is not `allow`). */
  mfaRequired: boolean;
}

type Who = SignedInUser;

export function mountMethodsPortal(router: Router, deps: MethodsDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });
  const totp = deps.factors.find((f) => f.kind === 'totp' && f.enrolment !== undefined);
  const contacts = offeredContactFactors(deps.factors, deps.directoryOwns);

  /** The user's confirmed methods, default first (backup codes have their own page). */
  const methodsOf = async (userId: string) => {
    const rows = await deps.db
      .selectFrom('factors')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '!=', BACKUP_CODE_KIND)
      .orderBy('is_default', 'desc')
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.flatMap((row) => {
      const factor = deps.factors.find((f) => f.kind === row.kind);
      return factor?.isEnrolled(row) ? [{ row, factor }] : [];
    });
  };

  const when = (L: Locale, ms: number | null) =>
    ms === null ? t(L, 'methods.never') : new Intl.DateTimeFormat(L, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(ms) + ' UTC';

  const show = async (req: Request, res: Response, status: number, user: UserRecord, opts: { error?: Problem; done?: Done } = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const methods = await methodsOf(user.id);
    res.setHeader('Cache-Control', 'no-store');
    const csrf = html`<input type="hidden" name="_csrf" value="${token}">`;
    deps.render(
      req,
      res,
      status,
      t(L, 'methods.title'),
      html`<h1>${t(L, 'methods.title')}</h1>
${opts.done ? html`<p class="notice" role="status">${t(L, `methods.done.${opts.done}`)}</p>` : ''}
${opts.error ? html`<p class="error" role="alert" id="methods-error">${t(L, `methods.error.${opts.error}`)}</p>` : ''}
<table class="methods">
<thead><tr><th scope="col">${t(L, 'methods.name')}</th><th scope="col">${t(L, 'methods.kind')}</th><th scope="col">${t(L, 'methods.added')}</th><th scope="col">${t(L, 'methods.lastUsed')}</th><th scope="col"><span class="visually-hidden">${t(L, 'methods.remove')}</span></th></tr></thead>
<tbody>${methods.map(({ row, factor }) => {
        const name = row.label ?? factor.label(L);
        // A phone or address is shown masked, so the user tells their methods apart.
        const to = factor.contact?.addressOf(row);
        const address = to ? factor.contact!.mask(to) : null;
        return html`<tr data-factor="${row.id}">
<th scope="row">${name}${row.is_default === 1 ? html` · <small>${t(L, 'methods.default')}</small>` : ''}</th>
<td>${factor.label(L)}${address ? html` <span translate="no">${address}</span>` : ''}</td><td>${when(L, row.created_at)}</td><td>${when(L, row.last_used_at)}</td>
<td>
${row.is_default === 1 ? '' : html`<form method="post" action="${METHODS_PATH}">${csrf}<input type="hidden" name="action" value="default"><input type="hidden" name="factorId" value="${row.id}"><button type="submit" class="link">${t(L, 'methods.makeDefault')}</button></form>`}
<form method="post" action="${METHODS_PATH}">${csrf}<input type="hidden" name="action" value="rename"><input type="hidden" name="factorId" value="${row.id}"><label for="label-${row.id}" class="visually-hidden">${t(L, 'methods.newName', { method: name })}</label><input type="text" id="label-${row.id}" name="label" maxlength="${MAX_LABEL}" value="${row.label ?? ''}" required><button type="submit" class="link">${t(L, 'methods.rename')}</button></form>
${changeContactLink(L, row, contacts)}
${removable(row)
          ? html`<form method="post" action="${METHODS_PATH}">${csrf}<input type="hidden" name="action" value="remove"><input type="hidden" name="factorId" value="${row.id}"><button type="submit" class="link">${t(L, 'methods.remove')}</button></form>`
          : html`<small>${t(L, 'methods.managed')}</small>`}
</td></tr>`;
      })}</tbody>
</table>
${totp ? html`<form method="post" action="${METHODS_PATH}/add">${csrf}<button type="submit">${t(L, 'methods.add')}</button></form>` : ''}
${addKeyButton(L, csrf, deps.factors)}
${addContactLinks(L, contacts)}
<p class="muted">${t(L, 'methods.lostPhone')}</p>
<p><a href="/portal">${t(L, 'methods.back')}</a></p>`,
    );
  };

  const showConfirm = async (req: Request, res: Response, status: number, user: UserRecord, row: FactorRow, error?: Problem) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const instructions = await totp!.enrolment!.render({ user, factorRow: row, locale: L });
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'methods.addTitle'),
      html`<h1>${t(L, 'methods.addTitle')}</h1>
${error ? html`<p class="error" role="alert" id="code-error">${t(L, `methods.error.${error}`)}</p>` : ''}
${instructions}
<form method="post" action="${METHODS_PATH}/confirm/${row.id}" novalidate>
<input type="hidden" name="_csrf" value="${token}">
<label for="label">${t(L, 'methods.label')}</label>
<input type="text" id="label" name="label" maxlength="${MAX_LABEL}" value="${row.label ?? ''}">
<label for="code">${t(L, 'methods.code')}</label>
<input type="text" id="code" name="code" class="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" maxlength="12" required${error ? html` aria-invalid="true" aria-describedby="code-error"` : ''}>
<button type="submit">${t(L, 'methods.confirm')}</button>
</form>
<p><a href="${METHODS_PATH}">${t(L, 'methods.back')}</a></p>`,
    );
  };

  /**
   * Signed in, CSRF token right, second factor recent (else a challenge round that comes back to
   * `returnTo`): otherwise the answer is sent and null returned.
   */
  const guard = async (req: Request, res: Response, event: string, returnTo: string): Promise<Who | null> => {
    const who = await portalPost(deps, req, res);
    if (!who) return null;
    return (await deps.reauth.recent(who, req, res, { event, returnTo })) ? who : null;
  };

  router.get(METHODS_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    await show(req, res, 200, who.user);
  });

  // Ordered table of the changes a row accepts; each answers with the problem or what was done.
  const changes: Record<string, (who: Who, row: FactorRow, req: Request, now: number) => Promise<Problem | Done>> = {
    async default({ user }, row) {
      await deps.db.transaction().execute(async (trx) => {
        await trx.updateTable('factors').set({ is_default: 0 }).where('user_id', '=', user.id).execute();
        await trx.updateTable('factors').set({ is_default: 1 }).where('id', '=', row.id).execute();
      });
      return 'default';
    },
    async rename(_who, row, req) {
      const label = bodyField(req, 'label', 100);
      if (label === '' || label.length > MAX_LABEL || /\p{Cc}/u.test(label)) return 'BAD_LABEL';
      await deps.db.updateTable('factors').set({ label }).where('id', '=', row.id).execute();
      return 'renamed';
    },
    async remove({ user }, row) {
      if (!removable(row)) return 'NOT_REMOVABLE';
      const methods = await methodsOf(user.id);
      if (deps.mfaRequired && methods.every((m) => m.row.id === row.id)) return 'LAST_METHOD';
      await deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('factors').where('id', '=', row.id).execute();
        // The default goes to the oldest method left.
        const next = methods.find((m) => m.row.id !== row.id);
        if (row.is_default === 1 && next) await trx.updateTable('factors').set({ is_default: 1 }).where('id', '=', next.row.id).execute();
      });
      return 'removed';
    },
  };

  router.post(METHODS_PATH, form, async (req, res) => {
    const action = bodyField(req, 'action', 20);
    const event = `method-${action in changes ? action : 'change'}`;
    const who = await guard(req, res, event, METHODS_PATH);
    if (!who) return;
    const change = Object.hasOwn(changes, action) ? changes[action] : undefined;
    const row = (await methodsOf(who.user.id)).find((m) => m.row.id === bodyField(req, 'factorId', 64))?.row;
    if (!change || !row) return show(req, res, 404, who.user, { error: 'NOT_FOUND' });
    const outcome = await change(who, row, req, deps.clock.now());
    const failed = outcome === 'LAST_METHOD' || outcome === 'NOT_REMOVABLE' || outcome === 'BAD_LABEL';
    await deps.audit.record({ event, result: failed ? 'failure' : 'success', user: who.user, method: row.kind, deviceToken: row.id, adapter: 'host', clientIp: req.ip, ...(failed ? { denyReason: outcome } : {}) });
    if (failed) return show(req, res, outcome === 'LAST_METHOD' ? 409 : 400, who.user, { error: outcome });
    const done = outcome as Exclude<Done, 'added' | 'changed' | 'contactAdded' | 'keyAdded'>;
    await deps.notices.changed(who.user, NOTICE[done], { locale: deps.locale(req), clientIp: req.ip });
    await show(req, res, 200, who.user, { done });
  });

  router.post(`${METHODS_PATH}/add`, form, async (req, res) => {
    const who = await guard(req, res, 'method-add', METHODS_PATH);
    if (!who || !totp?.enrolment) return;
    const now = deps.clock.now();
    // An app started here and never confirmed is dropped after an hour.
    await deps.db.deleteFrom('factors').where('user_id', '=', who.user.id).where('confirmed', '=', 0).where('created_at', '<', now - 3_600_000).execute();
    const id = randomUUID();
    const material = await totp.enrolment.create({ user: who.user, factorId: id, now });
    await deps.db
      .insertInto('factors')
      .values({ id, user_id: who.user.id, kind: totp.kind, label: material.label, secret_enc: material.secretEnc, params: JSON.stringify(material.params), is_default: 0, confirmed: 0, last_used_step: null, created_at: now, last_used_at: null })
      .execute();
    seeOther(res, `${METHODS_PATH}/confirm/${id}`);
  });

  const pendingRow = (userId: string, id: string) =>
    deps.db.selectFrom('factors').selectAll().where('id', '=', id).where('user_id', '=', userId).where('confirmed', '=', 0).executeTakeFirst();

  router.get(`${METHODS_PATH}/confirm/:id`, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    const row = totp ? await pendingRow(who.user.id, req.params.id ?? '') : undefined;
    if (!row) return show(req, res, 404, who.user, { error: 'NOT_FOUND' });
    await showConfirm(req, res, 200, who.user, row);
  });

  router.post(`${METHODS_PATH}/confirm/:id`, form, async (req, res) => {
    // Back to the same confirmation form: the app waiting there keeps its key.
    const who = await guard(req, res, 'method-add', `${METHODS_PATH}/confirm/${encodeURIComponent(req.params.id ?? '')}`);
    if (!who) return;
    const row = totp ? await pendingRow(who.user.id, req.params.id ?? '') : undefined;
    if (!row || !totp) return show(req, res, 404, who.user, { error: 'NOT_FOUND' });
    const label = bodyField(req, 'label', 100);
    if (label.length > MAX_LABEL || /\p{Cc}/u.test(label)) return showConfirm(req, res, 400, who.user, row, 'BAD_LABEL');
    const now = deps.clock.now();
    const verdict = await totp.verify({ user: who.user, factorRow: row, code: bodyField(req, 'code', 20), now });
    // The confirming code's step is claimed with the row, so it cannot be replayed at sign-in.
    const confirmed =
      verdict.ok &&
      Number(
        (
          await deps.db
            .updateTable('factors')
            .set({ confirmed: 1, label: label === '' ? null : label, last_used_step: verdict.step ?? null, last_used_at: now })
            .where('id', '=', row.id)
            .where('confirmed', '=', 0)
            .executeTakeFirst()
        ).numUpdatedRows,
      ) === 1;
    if (!confirmed) {
      await deps.audit.record({ event: 'method-add', result: 'failure', user: who.user, method: row.kind, deviceToken: row.id, denyReason: verdict.ok ? 'REPLAY' : verdict.reason, adapter: 'host', clientIp: req.ip });
      return showConfirm(req, res, 401, who.user, row, 'BAD_CODE');
    }
    await deps.audit.record({ event: 'method-add', result: 'success', user: who.user, method: row.kind, deviceToken: row.id, adapter: 'host', clientIp: req.ip });
    await deps.notices.changed(who.user, 'app-added', { locale: deps.locale(req), clientIp: req.ip });
    await show(req, res, 200, who.user, { done: 'added' });
  });

  mountContactPortal(router, { ...deps, showMethods: (req, res, status, user, done) => show(req, res, status, user, { done }) });
  mountSecurityKeyPortal(router, { ...deps, showMethods: (req, res, status, user, done) => show(req, res, status, user, { done }) });
}
