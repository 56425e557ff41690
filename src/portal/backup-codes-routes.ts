/**
 * `GET/POST /portal/backup-codes` (issue 19): how many backup codes are left, and a new set of
 * ten on request, shown once (to print or save as a text file) and never again: only their
 * hashes are kept. A new set invalidates the old one. Only a session that passed a second
 * factor sees the page; making a set needs that factor to be at most five minutes old, else the
 * user is asked to sign in again. Every new set is audited; the codes never reach a log.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { UserRecord } from '../api/host-api.js';
import { portalPost, portalUser } from './signed-in-user.js';
import { BACKUP_CODE_KIND, formatBackupCode, type BackupCodes } from '../factors/backup-codes.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t } from '../kit/i18n.js';
import type { AccountChangeDeps } from './portal-deps.js';

addMessages('en', {
  'backupCodes.title': 'Backup codes',
  'backupCodes.intro': 'If you lose your phone, sign in with a backup code: choose “Use a backup code” on the sign-in page. Each code works once.',
  'backupCodes.left': '{count} of your backup codes are left.',
  'backupCodes.none': 'You have no backup codes yet.',
  'backupCodes.generate': 'Create new backup codes',
  'backupCodes.replaceWarning': 'Creating new codes makes the old ones stop working.',
  'backupCodes.new': 'Your new backup codes',
  'backupCodes.showOnce': 'Print them or save them now and keep them somewhere safe: they are shown only this once.',
  'backupCodes.download': 'Save as a text file',
  'backupCodes.fileHeader': 'Backup codes for {name}. Each code works once.',
  'backupCodes.back': 'Back to your account',
});
addMessages('fr', {
  'backupCodes.title': 'Codes de secours',
  'backupCodes.intro': 'Si vous perdez votre téléphone, connectez-vous avec un code de secours : choisissez « Utiliser un code de secours » sur la page de connexion. Chaque code ne sert qu’une fois.',
  'backupCodes.left': 'Il vous reste {count} codes de secours.',
  'backupCodes.none': 'Vous n’avez pas encore de codes de secours.',
  'backupCodes.generate': 'Créer de nouveaux codes de secours',
  'backupCodes.replaceWarning': 'Créer de nouveaux codes désactive les anciens.',
  'backupCodes.new': 'Vos nouveaux codes de secours',
  'backupCodes.showOnce': 'Imprimez-les ou enregistrez-les maintenant et gardez-les en lieu sûr : ils ne sont affichés qu’une seule fois.',
  'backupCodes.download': 'Enregistrer dans un fichier texte',
  'backupCodes.fileHeader': 'Codes de secours de {name}. Chaque code ne sert qu’une fois.',
  'backupCodes.back': 'Retour à votre compte',
});

export const BACKUP_CODES_PATH = '/portal/backup-codes';

export interface BackupCodesDeps extends AccountChangeDeps {
  codes: Pick<BackupCodes, 'issue' | 'remaining' | 'issuedAt'>;
}

export function mountBackupCodesPortal(router: Router, deps: BackupCodesDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 5 });


  const show = async (req: Request, res: Response, status: number, user: UserRecord, opts: { codes?: string[] } = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const left = await deps.codes.remaining(user.id);
    const issued = (await deps.codes.issuedAt(user.id)) !== null;
    const name = user.displayName ?? user.username;
    const formatted = opts.codes?.map(formatBackupCode) ?? [];
    const file = [t(L, 'backupCodes.fileHeader', { name }), '', ...formatted, ''].join('\n');
    // The page carries live codes: never cached, never kept in history.
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'backupCodes.title'),
      html`<h1>${t(L, 'backupCodes.title')}</h1>
${formatted.length > 0
        ? html`<section aria-labelledby="new-codes"><h2 id="new-codes">${t(L, 'backupCodes.new')}</h2>
<p role="status">${t(L, 'backupCodes.showOnce')}</p>
<ol class="backup-codes">${formatted.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a download="backup-codes.txt" href="data:text/plain;charset=utf-8,${encodeURIComponent(file)}">${t(L, 'backupCodes.download')}</a></p></section>`
        : ''}
<p>${t(L, 'backupCodes.intro')}</p>
<p id="codes-left">${issued ? t(L, 'backupCodes.left', { count: String(left) }) : t(L, 'backupCodes.none')}</p>
<form method="post" action="${BACKUP_CODES_PATH}">
<input type="hidden" name="_csrf" value="${token}">
${issued ? html`<p class="muted"><small>${t(L, 'backupCodes.replaceWarning')}</small></p>` : ''}
<button type="submit">${t(L, 'backupCodes.generate')}</button>
</form>
<p><a href="/portal">${t(L, 'backupCodes.back')}</a></p>`,
    );
  };

  router.get(BACKUP_CODES_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    await show(req, res, 200, who.user);
  });

  router.post(BACKUP_CODES_PATH, form, async (req, res) => {
    const who = await portalPost(deps, req, res);
    if (!who) return;
    if (!(await deps.reauth.recent(who, req, res, { event: 'backup-codes-issue', method: BACKUP_CODE_KIND, returnTo: BACKUP_CODES_PATH }))) return;
    const now = deps.clock.now();
    const { user } = who;
    const codes = await deps.codes.issue(user.id, now);
    await deps.audit.record({ event: 'backup-codes-issue', result: 'success', user, method: BACKUP_CODE_KIND, adapter: 'host', clientIp: req.ip, detail: `${codes.length} codes` });
    await deps.notices.changed(user, 'backup-codes-issued', { locale: deps.locale(req), clientIp: req.ip });
    await show(req, res, 200, user, { codes });
  });
}
