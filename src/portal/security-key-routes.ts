/**
 * `/portal/methods/key` (issue 24): a signed-in user registers another security key or passkey
 * (a second, a third…) from the portal. The ceremony is the factor's own (the same options,
 * attestation, AAGUID allowlist and user-verification rules as inline enrolment at sign-in);
 * the browser's part is the same same-origin script under the same CSP (no inline script).
 * The new key counts once the browser's answer verifies; until then its row is unconfirmed.
 *
 * POST `/portal/methods/key` starts one (redirect to `/portal/methods/key/:id`); the page's form
 * posts `code` (the browser's answer as JSON, filled by the script) to the same path.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { UserRecord } from '../api/host-api.js';
import type { Database, FactorRow } from '../store/schema.js';
import type { Factor } from '../factors/factor.js';
import { WEBAUTHN_KIND } from '../factors/webauthn-factor.js';
import { html, type SafeHtml } from '../kit/pages/html.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { portalPost, portalUser, type SignedInUser } from './signed-in-user.js';
import type { AccountChangeDeps } from './portal-deps.js';
import { seeOther } from '../http/see-other.js';

addMessages('en', {
  'key.add': 'Add a security key or passkey',
  'key.title': 'Add a security key or passkey',
  'key.intro': 'Name the key, then press the button and follow your browser’s prompt (touch the key, or use this device’s screen lock).',
  'key.failed': 'This key could not be registered. Try again, or use another key.',
  'key.back': 'Back to your sign-in methods',
});
addMessages('fr', {
  'key.add': 'Ajouter une clé de sécurité ou une clé d’accès',
  'key.title': 'Ajouter une clé de sécurité ou une clé d’accès',
  'key.intro': 'Nommez la clé, puis appuyez sur le bouton et suivez les indications du navigateur (touchez la clé, ou utilisez le verrouillage de cet appareil).',
  'key.failed': 'Cette clé n’a pas pu être enregistrée. Réessayez, ou utilisez une autre clé.',
  'key.back': 'Retour à vos méthodes de connexion',
});

export const KEY_PATH = '/portal/methods/key';
const METHODS_PATH = '/portal/methods';
/** A key started here and never registered is dropped after an hour. */
const PENDING_MS = 3_600_000;

export interface SecurityKeyDeps extends AccountChangeDeps {
  db: Kysely<Database>;
  factors: readonly Factor[];
  showMethods(req: Request, res: Response, status: number, user: UserRecord, done: 'keyAdded'): Promise<void>;
}

/** The WebAuthn factor when configured (`factors.webauthn`), else undefined. */
export function securityKeyFactor(factors: readonly Factor[]): Factor | undefined {
  return factors.find((f) => f.kind === WEBAUTHN_KIND && f.enrolment !== undefined && f.renderField !== undefined);
}

/** The button under the methods table. */
export function addKeyButton(L: Locale, csrf: SafeHtml, factors: readonly Factor[]): SafeHtml | '' {
  return securityKeyFactor(factors) ? html`<form method="post" action="${KEY_PATH}">${csrf}<button type="submit">${t(L, 'key.add')}</button></form>` : '';
}

export function mountSecurityKeyPortal(router: Router, deps: SecurityKeyDeps): void {
  const key = securityKeyFactor(deps.factors);
  if (!key) return;
  // The browser's answer is a JSON document of a few KiB (attestation included).
  const form = express.urlencoded({ extended: false, limit: Math.max(deps.maxBodyBytes, 64 * 1024), parameterLimit: 5 });

  const pendingRow = (userId: string, id: string) =>
    deps.db.selectFrom('factors').selectAll().where('id', '=', id).where('user_id', '=', userId).where('kind', '=', WEBAUTHN_KIND).where('confirmed', '=', 0).executeTakeFirst();

  const show = async (req: Request, res: Response, status: number, user: UserRecord, row: FactorRow, failed = false) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const field = await key.renderField!({ user, factorRow: row, locale: L, challengeId: row.id });
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'key.title'),
      html`<h1>${t(L, 'key.title')}</h1>
${failed ? html`<p class="error" role="alert" id="key-error">${t(L, 'key.failed')}</p>` : ''}
<p>${t(L, 'key.intro')}</p>
<form method="post" action="${KEY_PATH}/${row.id}">
<input type="hidden" name="_csrf" value="${token}">
${field}
</form>
<p><a href="${METHODS_PATH}">${t(L, 'key.back')}</a></p>`,
    );
  };

  const guard = async (req: Request, res: Response, returnTo: string): Promise<SignedInUser | null> => {
    const who = await portalPost(deps, req, res);
    if (!who) return null;
    return (await deps.reauth.recent(who, req, res, { event: 'method-add', method: WEBAUTHN_KIND, returnTo })) ? who : null;
  };

  router.post(KEY_PATH, form, async (req, res) => {
    const who = await guard(req, res, METHODS_PATH);
    if (!who) return;
    const now = deps.clock.now();
    await deps.db.deleteFrom('factors').where('user_id', '=', who.user.id).where('kind', '=', WEBAUTHN_KIND).where('confirmed', '=', 0).where('created_at', '<', now - PENDING_MS).execute();
    const id = randomUUID();
    const material = await key.enrolment!.create({ user: who.user, factorId: id, now });
    await deps.db
      .insertInto('factors')
      .values({ id, user_id: who.user.id, kind: WEBAUTHN_KIND, label: material.label, secret_enc: material.secretEnc, params: JSON.stringify(material.params), is_default: 0, confirmed: 0, last_used_step: null, created_at: now, last_used_at: null })
      .execute();
    seeOther(res, `${KEY_PATH}/${id}`);
  });

  router.get(`${KEY_PATH}/:id`, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    const row = await pendingRow(who.user.id, req.params.id ?? '');
    if (!row) return seeOther(res, METHODS_PATH);
    await show(req, res, 200, who.user, row);
  });

  router.post(`${KEY_PATH}/:id`, form, async (req, res) => {
    const id = typeof req.params.id === 'string' ? req.params.id.slice(0, 64) : '';
    const who = await guard(req, res, `${KEY_PATH}/${encodeURIComponent(id)}`);
    if (!who) return;
    const row = await pendingRow(who.user.id, id);
    if (!row) return seeOther(res, METHODS_PATH);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const code = typeof body.code === 'string' ? body.code : '';
    const now = deps.clock.now();
    const verdict = await key.verify({ user: who.user, factorRow: row, code, now });
    const base = { event: 'method-add', user: who.user, method: WEBAUTHN_KIND, deviceToken: row.id, adapter: 'host', clientIp: req.ip } as const;
    // The factor wrote the credential into the still-unconfirmed row; only this UPDATE makes it count.
    const confirmed =
      verdict.ok && Number((await deps.db.updateTable('factors').set({ confirmed: 1 }).where('id', '=', row.id).where('confirmed', '=', 0).executeTakeFirst()).numUpdatedRows) === 1;
    if (!confirmed) {
      await deps.audit.record({ ...base, result: 'failure', denyReason: verdict.ok ? 'REPLAY' : verdict.reason });
      const fresh = (await pendingRow(who.user.id, id)) ?? row;
      return show(req, res, 400, who.user, fresh, true);
    }
    await deps.audit.record({ ...base, result: 'success' });
    await deps.notices.changed(who.user, 'security-key-added', { locale: deps.locale(req), clientIp: req.ip });
    await deps.showMethods(req, res, 200, who.user, 'keyAdded');
  });
}
