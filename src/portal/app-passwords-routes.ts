/**
 * `GET/POST /portal/app-passwords` (issue 19): a signed-in user names and creates an app
 * password (generated, shown once, stored hashed), sees each one's name, scope, creation and last
 * use, and revokes one or all. Fields: `_csrf`, `action` (`create` | `revoke` | `revoke-all`),
 * `name`, `id`. Every change needs a second factor under five minutes old and is audited; the
 * password itself never reaches a log.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { UserRecord } from '../api/host-api.js';
import { bodyField, portalPost, portalUser } from './signed-in-user.js';
import { APP_PASSWORD_SCOPES, type AppPasswords } from '../users/app-passwords.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import type { AccountChangeDeps } from './portal-deps.js';

addMessages('en', {
  'appPasswords.title': 'App passwords',
  'appPasswords.intro': 'For a program that cannot ask for your second step. Each app password is made for you, shown once, and works only where app passwords are accepted.',
  'appPasswords.none': 'You have no app passwords.',
  'appPasswords.name': 'Name',
  'appPasswords.scope': 'Accepted by',
  'appPasswords.created': 'Created',
  'appPasswords.lastUsed': 'Last used',
  'appPasswords.never': 'never',
  'appPasswords.revoke': 'Revoke',
  'appPasswords.revokeAll': 'Revoke all app passwords',
  'appPasswords.newName': 'Name of the program (for example “mail on my laptop”)',
  'appPasswords.create': 'Create an app password',
  'appPasswords.created.once': 'Your new app password for “{name}”. Copy it now: it is shown only this once.',
  'appPasswords.done.revoked': 'The app password was revoked.',
  'appPasswords.done.revokedAll': '{count} app passwords were revoked.',
  'appPasswords.error.BAD_NAME': 'A name is 1 to 40 characters.',
  'appPasswords.error.NOT_FOUND': 'That app password no longer exists.',
  'appPasswords.back': 'Back to your account',
});
addMessages('fr', {
  'appPasswords.title': 'Mots de passe d’application',
  'appPasswords.intro': 'Pour un programme qui ne peut pas demander votre seconde étape. Chaque mot de passe d’application est créé pour vous, affiché une seule fois, et ne fonctionne que là où il est accepté.',
  'appPasswords.none': 'Vous n’avez aucun mot de passe d’application.',
  'appPasswords.name': 'Nom',
  'appPasswords.scope': 'Accepté par',
  'appPasswords.created': 'Créé le',
  'appPasswords.lastUsed': 'Dernière utilisation',
  'appPasswords.never': 'jamais',
  'appPasswords.revoke': 'Révoquer',
  'appPasswords.revokeAll': 'Révoquer tous les mots de passe d’application',
  'appPasswords.newName': 'Nom du programme (par exemple « messagerie du portable »)',
  'appPasswords.create': 'Créer un mot de passe d’application',
  'appPasswords.created.once': 'Votre nouveau mot de passe d’application pour « {name} ». Copiez-le maintenant : il n’est affiché qu’une seule fois.',
  'appPasswords.done.revoked': 'Le mot de passe d’application a été révoqué.',
  'appPasswords.done.revokedAll': '{count} mots de passe d’application ont été révoqués.',
  'appPasswords.error.BAD_NAME': 'Un nom compte de 1 à 40 caractères.',
  'appPasswords.error.NOT_FOUND': 'Ce mot de passe d’application n’existe plus.',
  'appPasswords.back': 'Retour à votre compte',
});

export const APP_PASSWORDS_PATH = '/portal/app-passwords';
const MAX_NAME = 40;

type Problem = 'BAD_NAME' | 'NOT_FOUND';
interface ShowOptions {
  error?: Problem;
  created?: { name: string; password: string };
  notice?: string;
}

export interface AppPasswordsDeps extends AccountChangeDeps {
  appPasswords: Pick<AppPasswords, 'create' | 'list' | 'revoke' | 'revokeAll'>;
}

export function mountAppPasswordsPortal(router: Router, deps: AppPasswordsDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });


  const when = (L: Locale, ms: number | null) =>
    ms === null ? t(L, 'appPasswords.never') : new Intl.DateTimeFormat(L, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(ms) + ' UTC';

  const show = async (req: Request, res: Response, status: number, user: UserRecord, opts: ShowOptions = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const list = await deps.appPasswords.list(user.id);
    const csrf = html`<input type="hidden" name="_csrf" value="${token}">`;
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'appPasswords.title'),
      html`<h1>${t(L, 'appPasswords.title')}</h1>
${opts.error ? html`<p class="error" role="alert" id="app-password-error">${t(L, `appPasswords.error.${opts.error}`)}</p>` : ''}
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
${opts.created
        ? html`<section class="notice" role="status"><p>${t(L, 'appPasswords.created.once', { name: opts.created.name })}</p>
<p><code class="secret" id="app-password" translate="no">${opts.created.password}</code></p></section>`
        : ''}
<p>${t(L, 'appPasswords.intro')}</p>
${list.length === 0
        ? html`<p>${t(L, 'appPasswords.none')}</p>`
        : html`<table class="methods">
<thead><tr><th scope="col">${t(L, 'appPasswords.name')}</th><th scope="col">${t(L, 'appPasswords.scope')}</th><th scope="col">${t(L, 'appPasswords.created')}</th><th scope="col">${t(L, 'appPasswords.lastUsed')}</th><th scope="col"><span class="visually-hidden">${t(L, 'appPasswords.revoke')}</span></th></tr></thead>
<tbody>${list.map(
            (p) => html`<tr data-app-password="${p.id}"><th scope="row">${p.name}</th><td>${p.scopes.join(', ')}</td><td>${when(L, p.createdAt)}</td><td>${when(L, p.lastUsedAt)}</td>
<td><form method="post" action="${APP_PASSWORDS_PATH}">${csrf}<input type="hidden" name="action" value="revoke"><input type="hidden" name="id" value="${p.id}"><button type="submit" class="link">${t(L, 'appPasswords.revoke')}</button></form></td></tr>`,
          )}</tbody></table>
<form method="post" action="${APP_PASSWORDS_PATH}">${csrf}<input type="hidden" name="action" value="revoke-all"><button type="submit">${t(L, 'appPasswords.revokeAll')}</button></form>`}
<form method="post" action="${APP_PASSWORDS_PATH}">${csrf}<input type="hidden" name="action" value="create">
<label for="name">${t(L, 'appPasswords.newName')}</label>
<input type="text" id="name" name="name" maxlength="${MAX_NAME}" required${opts.error === 'BAD_NAME' ? html` aria-invalid="true" aria-describedby="app-password-error"` : ''}>
<button type="submit">${t(L, 'appPasswords.create')}</button></form>
<p><a href="/portal">${t(L, 'appPasswords.back')}</a></p>`,
    );
  };

  router.get(APP_PASSWORDS_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    await show(req, res, 200, who.user);
  });

  router.post(APP_PASSWORDS_PATH, form, async (req, res) => {
    const who = await portalPost(deps, req, res);
    if (!who) return;
    const action = bodyField(req, 'action', 20);
    const { user } = who;
    const event = `app-password-${action === 'create' ? 'create' : 'revoke'}`;
    if (!(await deps.reauth.recent(who, req, res, { event, method: 'app-password', returnTo: APP_PASSWORDS_PATH }))) return;
    const now = deps.clock.now();
    const L = deps.locale(req);
    const base = { user, method: 'app-password', adapter: 'host', clientIp: req.ip } as const;
    switch (action) {
      case 'create': {
        const name = bodyField(req, 'name', 100);
        if (name === '' || name.length > MAX_NAME || /\p{Cc}/u.test(name)) return show(req, res, 400, user, { error: 'BAD_NAME' });
        const created = await deps.appPasswords.create(user.id, name, APP_PASSWORD_SCOPES, now);
        await deps.audit.record({ ...base, event: 'app-password-create', result: 'success', deviceToken: created.id, detail: name });
        await deps.notices.changed(user, 'app-password-created', { locale: L, clientIp: req.ip });
        return show(req, res, 200, user, { created: { name, password: created.password } });
      }
      case 'revoke': {
        const id = bodyField(req, 'id', 64);
        if (!(await deps.appPasswords.revoke(user.id, id, now))) return show(req, res, 404, user, { error: 'NOT_FOUND' });
        await deps.audit.record({ ...base, event: 'app-password-revoke', result: 'success', deviceToken: id });
        await deps.notices.changed(user, 'app-password-revoked', { locale: L, clientIp: req.ip });
        return show(req, res, 200, user, { notice: t(L, 'appPasswords.done.revoked') });
      }
      case 'revoke-all': {
        const n = await deps.appPasswords.revokeAll(user.id, now);
        await deps.audit.record({ ...base, event: 'app-password-revoke', result: 'success', detail: `all (${n})` });
        await deps.notices.changed(user, 'app-passwords-revoked', { locale: L, clientIp: req.ip });
        return show(req, res, 200, user, { notice: t(L, 'appPasswords.done.revokedAll', { count: String(n) }) });
      }
      default:
        return show(req, res, 400, user, { error: 'NOT_FOUND' });
    }
  });
}
