/**
 * `GET /portal`: the self-service portal's front page. A user who passed a second factor sees
 * who is signed in, the sign-in methods registered for them, the portal pages that apply, and a
 * way to sign out; anyone else is sent to `/login`. Read-only: changes happen on the pages it
 * links to, each with its own CSRF-protected form.
 */
import type { Router } from 'express';
import type { Kysely } from 'kysely';
import { portalUser } from './signed-in-user.js';
import type { Database } from '../store/schema.js';
import type { Factor } from '../factors/factor.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t } from '../kit/i18n.js';
import { PIN_PATH } from './pin-routes.js';
import { BACKUP_CODES_PATH } from './backup-codes-routes.js';
import { METHODS_PATH } from './methods-routes.js';
import { APP_PASSWORDS_PATH } from './app-passwords-routes.js';
import { DEVICES_PATH } from './devices-routes.js';
import { BACKUP_CODE_KIND } from '../factors/backup-codes.js';
import { backupCodesLeft } from '../factors/backup-code-factor.js';
import type { PortalPageDeps } from './portal-deps.js';

addMessages('en', {
  'portal.title': 'Your account',
  'portal.signedInAs': 'Signed in as {name}.',
  'portal.methods': 'Your sign-in methods',
  'portal.noMethods': 'No second step is registered yet: the next sign-in asks you to set one up.',
  'portal.default': 'default',
  'portal.pin': 'Your PIN (typed beside a code sent by text or call)',
  'portal.backupCodes': 'Backup codes',
  'portal.manageMethods': 'Add, rename or remove methods',
  'portal.appPasswords': 'App passwords',
  'portal.backupCodesLeft': '{count} left',
});
addMessages('fr', {
  'portal.title': 'Votre compte',
  'portal.signedInAs': 'Connecté en tant que {name}.',
  'portal.methods': 'Vos méthodes de connexion',
  'portal.noMethods': 'Aucune seconde étape n’est encore enregistrée : la prochaine connexion vous proposera d’en configurer une.',
  'portal.default': 'par défaut',
  'portal.pin': 'Votre code PIN (saisi avec un code reçu par SMS ou par appel)',
  'portal.backupCodes': 'Codes de secours',
  'portal.manageMethods': 'Ajouter, renommer ou supprimer des méthodes',
  'portal.appPasswords': 'Mots de passe d’application',
  'portal.backupCodesLeft': 'il en reste {count}',
});

export const PORTAL_PATH = '/portal';

export interface AccountDeps extends PortalPageDeps {
  db: Kysely<Database>;
  factors: readonly Factor[];
}

export function mountAccountPortal(router: Router, deps: AccountDeps): void {
  router.get(PORTAL_PATH, async (req, res) => {
    const user = (await portalUser(deps, req, res))?.user;
    if (!user) return;

    const rows = await deps.db
      .selectFrom('factors')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('is_default', 'desc')
      .orderBy('created_at', 'asc')
      .execute();
    // Backup codes have their own line and page, with the count left.
    const backup = rows.find((row) => row.kind === BACKUP_CODE_KIND);
    const methods = rows.filter((row) => row.kind !== BACKUP_CODE_KIND).flatMap((row) => {
      const factor = deps.factors.find((f) => f.kind === row.kind);
      return factor?.isEnrolled(row) ? [{ row, factor }] : [];
    });
    const usesPin = methods.some((m) => m.factor.pinRequired?.(m.row) === true);
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    deps.render(
      req,
      res,
      200,
      t(L, 'portal.title'),
      html`<h1>${t(L, 'portal.title')}</h1>
<p class="muted">${t(L, 'portal.signedInAs', { name: user.displayName ?? user.username })}</p>
<h2 id="methods">${t(L, 'portal.methods')}</h2>
${methods.length > 0
        ? html`<ul class="methods" aria-labelledby="methods">${methods.map(
            (m) => html`<li>${m.factor.label(L)}${m.row.label ? ` (${m.row.label})` : ''}${m.row.is_default === 1 ? html` · <small>${t(L, 'portal.default')}</small>` : ''}</li>`,
          )}</ul>`
        : html`<p>${t(L, 'portal.noMethods')}</p>`}
<p><a href="${METHODS_PATH}">${t(L, 'portal.manageMethods')}</a></p>
<p><a href="${APP_PASSWORDS_PATH}">${t(L, 'portal.appPasswords')}</a></p>
<p><a href="${DEVICES_PATH}">${t(L, 'devices.title')}</a></p>
<p><a href="${BACKUP_CODES_PATH}">${t(L, 'portal.backupCodes')}</a>${backup ? html` · <small>${t(L, 'portal.backupCodesLeft', { count: String(backupCodesLeft(backup)) })}</small>` : ''}</p>
${usesPin ? html`<p><a href="${PIN_PATH}">${t(L, 'portal.pin')}</a></p>` : ''}
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${token}"><button type="submit">${t(L, 'login.signOut')}</button></form>`,
    );
  });
}
