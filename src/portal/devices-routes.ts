/**
 * `GET/POST /portal/devices` (issue 20): the signed-in user's remembered devices — browser, the
 * app, when remembered and last used — and revoking one or all. Fields: `_csrf`, `action`
 * (`revoke` | `revoke-all`), `id`. Each revocation is audited `remembered-device-revoke`.
 * Revoking only takes away a shortcut, so it needs no fresh second factor; CSRF still applies.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { UserRecord } from '../api/host-api.js';
import { bodyField, portalPost, portalUser } from './signed-in-user.js';
import type { RememberedDevices } from '../devices/remembered-devices.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import type { PortalFormDeps } from './portal-deps.js';

addMessages('en', {
  'devices.title': 'Remembered devices',
  'devices.intro': 'On these browsers you are not asked for your second step at the app shown, until the date given. Revoke any you do not recognise, or no longer use.',
  'devices.none': 'No device is remembered.',
  'devices.browser': 'Browser',
  'devices.app': 'App',
  'devices.remembered': 'Remembered',
  'devices.lastUsed': 'Last used',
  'devices.until': 'Until',
  'devices.revoke': 'Revoke',
  'devices.revokeAll': 'Revoke all remembered devices',
  'devices.done.revoked': 'The device is no longer remembered.',
  'devices.done.revokedAll': '{count} devices are no longer remembered.',
  'devices.error.NOT_FOUND': 'That device is no longer remembered.',
  'devices.back': 'Back to your account',
});
addMessages('fr', {
  'devices.title': 'Appareils mémorisés',
  'devices.intro': 'Sur ces navigateurs, votre seconde étape ne vous est pas demandée pour l’application indiquée, jusqu’à la date donnée. Révoquez ceux que vous ne reconnaissez pas ou n’utilisez plus.',
  'devices.none': 'Aucun appareil n’est mémorisé.',
  'devices.browser': 'Navigateur',
  'devices.app': 'Application',
  'devices.remembered': 'Mémorisé le',
  'devices.lastUsed': 'Dernière utilisation',
  'devices.until': 'Jusqu’au',
  'devices.revoke': 'Révoquer',
  'devices.revokeAll': 'Révoquer tous les appareils mémorisés',
  'devices.done.revoked': 'L’appareil n’est plus mémorisé.',
  'devices.done.revokedAll': '{count} appareils ne sont plus mémorisés.',
  'devices.error.NOT_FOUND': 'Cet appareil n’est plus mémorisé.',
  'devices.back': 'Retour à votre compte',
});

export const DEVICES_PATH = '/portal/devices';

export interface DevicesPortalDeps extends PortalFormDeps {
  devices: Pick<RememberedDevices, 'list' | 'revoke' | 'revokeAll'>;
}

export function mountDevicesPortal(router: Router, deps: DevicesPortalDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });
  const when = (L: Locale, ms: number) => `${new Intl.DateTimeFormat(L, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(ms)} UTC`;

  const show = async (req: Request, res: Response, status: number, user: UserRecord, opts: { notice?: string; error?: 'NOT_FOUND' } = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const list = await deps.devices.list(user.id, deps.clock.now());
    const csrf = html`<input type="hidden" name="_csrf" value="${token}">`;
    res.setHeader('Cache-Control', 'no-store');
    deps.render(
      req,
      res,
      status,
      t(L, 'devices.title'),
      html`<h1>${t(L, 'devices.title')}</h1>
${opts.error ? html`<p class="error" role="alert" id="devices-error">${t(L, `devices.error.${opts.error}`)}</p>` : ''}
${opts.notice ? html`<p class="notice" role="status" id="devices-notice">${opts.notice}</p>` : ''}
<p>${t(L, 'devices.intro')}</p>
${list.length === 0
        ? html`<p id="no-devices">${t(L, 'devices.none')}</p>`
        : html`<table class="methods">
<thead><tr><th scope="col">${t(L, 'devices.browser')}</th><th scope="col">${t(L, 'devices.app')}</th><th scope="col">${t(L, 'devices.remembered')}</th><th scope="col">${t(L, 'devices.lastUsed')}</th><th scope="col">${t(L, 'devices.until')}</th><th scope="col"><span class="visually-hidden">${t(L, 'devices.revoke')}</span></th></tr></thead>
<tbody>${list.map(
            (d) => html`<tr data-device="${d.id}"><th scope="row">${d.browser_label}</th><td>${d.app}</td><td>${when(L, d.created_at)}</td><td>${when(L, d.last_used_at)}</td><td>${when(L, d.expires_at)}</td>
<td><form method="post" action="${DEVICES_PATH}">${csrf}<input type="hidden" name="action" value="revoke"><input type="hidden" name="id" value="${d.id}"><button type="submit" class="link">${t(L, 'devices.revoke')}</button></form></td></tr>`,
          )}</tbody></table>
<form method="post" action="${DEVICES_PATH}">${csrf}<input type="hidden" name="action" value="revoke-all"><button type="submit" id="revoke-all">${t(L, 'devices.revokeAll')}</button></form>`}
<p><a href="/portal">${t(L, 'devices.back')}</a></p>`,
    );
  };

  router.get(DEVICES_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    await show(req, res, 200, who.user);
  });

  router.post(DEVICES_PATH, form, async (req, res) => {
    const who = await portalPost(deps, req, res);
    if (!who) return;
    const { user } = who;
    const L = deps.locale(req);
    const now = deps.clock.now();
    const base = { user, event: 'remembered-device-revoke', result: 'success', method: 'remembered-device', adapter: 'host', clientIp: req.ip } as const;
    switch (bodyField(req, 'action', 20)) {
      case 'revoke': {
        const id = bodyField(req, 'id', 64);
        if (!(await deps.devices.revoke(user.id, id, now, 'user'))) return show(req, res, 404, user, { error: 'NOT_FOUND' });
        await deps.audit.record({ ...base, deviceToken: id, detail: 'by the user at /portal/devices' });
        return show(req, res, 200, user, { notice: t(L, 'devices.done.revoked') });
      }
      case 'revoke-all': {
        const n = await deps.devices.revokeAll(user.id, now, 'user');
        await deps.audit.record({ ...base, detail: `all (${n}) by the user at /portal/devices` });
        return show(req, res, 200, user, { notice: t(L, 'devices.done.revokedAll', { count: String(n) }) });
      }
      default:
        return show(req, res, 400, user, { error: 'NOT_FOUND' });
    }
  });
}
