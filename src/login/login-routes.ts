/**
 * `GET/POST /login`: the primary sign-in page of the IdP flows (fields `username`, `password`,
 * `_csrf`), checked against the directory. Regulation comes first: an account or client over its
 * limit is refused before the directory is asked. One neutral message for every failure; the
 * reason goes to the log and the audit record. After the password the challenge engine takes over.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { Directory } from '../directory/directory.js';
import type { AuditApi, ChallengeApi, EnrolmentPolicy, RegulationApi, SessionApi, UserApi } from '../api/host-api.js';
import type { PendingLogins } from './pending-logins.js';
import type { Csrf } from '../http/csrf.js';
import { FactorgateError } from '../kit/errors.js';
import { html } from '../kit/pages/html.js';
import { t, type Locale } from '../kit/i18n.js';
import { PORTAL_PATH } from '../portal/account-routes.js';

export interface LoginDeps {
  directory: Directory;
  users: UserApi;
  challenges: ChallengeApi;
  sessions: SessionApi;
  audit: AuditApi;
  regulation: RegulationApi;
  pending: PendingLogins;
  csrf: Csrf;
  logger: Logger;
  maxBodyBytes: number;
  defaultPolicy: EnrolmentPolicy;
  /** `directory.outsideGroup` (LDAP): what a user outside the MFA group meets. */
  outsideGroup: 'deny' | 'allow';
  locale(req: Request): Locale;
  render(req: Request, res: Response, status: number, title: string, body: ReturnType<typeof html>): void;
}

const MAX_FIELD = 1024;

export function mountLogin(router: Router, deps: LoginDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 20 });

  const showForm = (req: Request, res: Response, status: number, opts: { error?: 'failed' | 'rateLimited'; username?: string; pendingId?: string }) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    deps.render(
      req,
      res,
      status,
      t(L, 'login.title'),
      html`<h1>${t(L, 'login.title')}</h1>
${opts.error ? html`<p class="error" role="alert" id="login-error">${t(L, `login.${opts.error}`)}</p>` : ''}
<form method="post" action="/login" novalidate>
<input type="hidden" name="_csrf" value="${token}">
${opts.pendingId ? html`<input type="hidden" name="l" value="${opts.pendingId}">` : ''}
<label for="username">${t(L, 'login.username')}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${opts.username ?? ''}" ${opts.error ? html`aria-describedby="login-error"` : ''} autofocus>
<label for="password">${t(L, 'login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${t(L, 'login.submit')}</button>
</form>`,
    );
  };

  router.get('/login', async (req, res) => {
    const l = typeof req.query.l === 'string' ? req.query.l : undefined;
    if (l && !(await deps.pending.find(req, l))) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'unknown or expired pending login' });
    const session = l ? null : await deps.sessions.get(req);
    if (session) {
      const user = await deps.users.findById(session.userId);
      const L = deps.locale(req);
      const token = deps.csrf.token(req, res);
      // Its own title (not "Sign in"), so a tab, a screen reader and a test can tell it apart.
      deps.render(
        req,
        res,
        200,
        t(L, 'login.signedInTitle'),
        html`<h1>${t(L, 'login.signedInTitle')}</h1><p class="notice" role="status">${t(L, 'login.signedIn', { name: user?.displayName ?? user?.username ?? '' })}</p>
${session.multiFactor ? html`<p><a href="${PORTAL_PATH}">${t(L, 'login.portalLink')}</a></p>` : ''}
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${token}"><button type="submit">${t(L, 'login.signOut')}</button></form>`,
      );
      return;
    }
    showForm(req, res, 200, l ? { pendingId: l } : {});
  });

  router.post('/login', form, async (req, res) => {
    deps.csrf.check(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, MAX_FIELD) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, MAX_FIELD) : '';
    const pendingId = typeof body.l === 'string' && body.l !== '' ? body.l : undefined;
    const pending = pendingId ? await deps.pending.find(req, pendingId) : null;
    if (pendingId && !pending) throw new FactorgateError('CHALLENGE_NOT_FOUND', { detail: 'unknown or expired pending login' });

    const adapter = pending?.adapter ?? 'host';
    const fail = async (reason: string) => {
      await deps.audit.record({
        event: 'primary',
        result: 'failure',
        username,
        method: 'password',
        denyReason: reason,
        adapter,
        relyingParty: pending?.relyingParty,
        clientIp: req.ip,
      });
      showForm(req, res, 401, { error: 'failed', username, ...(pendingId ? { pendingId } : {}) });
    };

    if (username === '' || password === '') return fail(username === '' ? 'EMPTY_USERNAME' : 'EMPTY_PASSWORD');
    // Regulation before the directory: a refused try costs no hash and no bind. The same answer
    // whether the account exists, is locked for second factors, or not.
    const admission = await deps.regulation.admit({ username, clientIp: req.ip, event: 'primary', adapter, relyingParty: pending?.relyingParty });
    if (!admission.admitted) {
      res.set('Retry-After', String(admission.retryAfterSeconds));
      showForm(req, res, 429, { error: 'rateLimited', username, ...(pendingId ? { pendingId } : {}) });
      return;
    }
    let result;
    try {
      result = await deps.directory.authenticate(username, password);
    } catch (err) {
      await admission.abandoned();
      await deps.audit.record({
        event: 'primary',
        result: 'failure',
        username,
        method: 'password',
        denyReason: err instanceof FactorgateError ? err.code : 'DIRECTORY_ERROR',
        adapter,
        clientIp: req.ip,
      });
      throw err;
    }
    if (!result.ok) {
      await admission.failed();
      return fail(result.reason);
    }
    // Outside the directory's MFA group (issue 26 item 8) under `deny`: stored disabled, as the
    // import stores users the group leaves out, so no other door (the bridge, the portal) opens
    // through this row; the challenge shows why. Under `allow` the user may sign in.
    const outside = result.user.outsideMfaGroup === true;
    const outsideDenied = outside && deps.outsideGroup !== 'allow';
    const user = await deps.users.upsertFromDirectory(outsideDenied ? { ...result.user, disabled: true } : result.user, deps.directory.kind);
    if (user.disabled && !outsideDenied) {
      await admission.failed();
      return fail('USER_DISABLED');
    }
    await admission.succeeded();
    await deps.audit.record({ event: 'primary', result: 'success', user, method: 'password', adapter, relyingParty: pending?.relyingParty, clientIp: req.ip });

    if (pending && !(await deps.pending.consume(pending.id))) throw new FactorgateError('CHALLENGE_USED', { detail: 'pending login already used' });
    const began = await deps.challenges.begin({
      user,
      adapter: pending?.adapter ?? 'host',
      continuation: pending?.continuation ?? null,
      relyingParty: pending?.relyingParty,
      enrolmentPolicy: pending?.enrolmentPolicy ?? deps.defaultPolicy,
      stepUp: pending?.stepUp,
      // Outside the directory's MFA group: the challenge applies directory.outsideGroup.
      outsideMfaGroup: outside,
      req,
      res,
    });
    res.redirect(303, began.redirectTo);
  });

  router.post('/logout', form, async (req, res) => {
    deps.csrf.check(req);
    await deps.sessions.destroy(req, res);
    const L = deps.locale(req);
    deps.render(req, res, 200, t(L, 'login.signedOut'), html`<h1>${t(L, 'login.signedOut')}</h1><p><a href="/login">${t(L, 'login.title')}</a></p>`);
  });
}
