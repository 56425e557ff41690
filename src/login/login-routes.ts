/**
 * `GET/POST /login`: the primary sign-in page of the IdP flows (fields `username`, `password`,
 * `_csrf`), checked against the directory. Regulation comes first: an account or client over its
 * limit is refused before the directory is asked. One neutral message for every failure; the
 * reason goes to the log and the audit record. After the password the challenge engine takes over.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { ChallengeApi, EnrolmentPolicy, PasswordApi, SessionApi, UserApi } from '../api/host-api.js';
import type { PendingLogins } from './pending-logins.js';
import type { Csrf } from '../http/csrf.js';
import { seeOther } from '../http/see-other.js';
import { FactorgateError } from '../kit/errors.js';
import { html } from '../kit/pages/html.js';
import { t, type Locale } from '../kit/i18n.js';
import { PORTAL_PATH } from '../portal/account-routes.js';

export interface LoginDeps {
  users: UserApi;
  challenges: ChallengeApi;
  sessions: SessionApi;
  /** The password check with regulation and audit (src/primary-auth), shared with RADIUS. */
  passwords: Pick<PasswordApi, 'check'>;
  pending: PendingLogins;
  csrf: Csrf;
  logger: Logger;
  maxBodyBytes: number;
  defaultPolicy: EnrolmentPolicy;
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
      const user = session.user ?? (await deps.users.findById(session.userId));
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
    const checked = await deps.passwords.check({ username, password, clientIp: req.ip, adapter, relyingParty: pending?.relyingParty });
    if (!checked.ok) {
      const again = { username, ...(pendingId ? { pendingId } : {}) };
      if (checked.reason === 'RATE_LIMITED') {
        res.set('Retry-After', String(checked.retryAfterSeconds));
        return showForm(req, res, 429, { error: 'rateLimited', ...again });
      }
      return showForm(req, res, 401, { error: 'failed', ...again });
    }
    const user = checked.user;
    const outside = checked.outsideMfaGroup;

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
    seeOther(res, began.redirectTo);
  });

  router.post('/logout', form, async (req, res) => {
    deps.csrf.check(req);
    await deps.sessions.destroy(req, res);
    const L = deps.locale(req);
    deps.render(req, res, 200, t(L, 'login.signedOut'), html`<h1>${t(L, 'login.signedOut')}</h1><p><a href="/login">${t(L, 'login.title')}</a></p>`);
  });
}
