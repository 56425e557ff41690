/**
 * The /admin console (issue 18): server-rendered, works without JavaScript, English and French,
 * the host's CSP. Its shell is built here: sign-in through the host's own `/login` and challenge
 * engine (admin-sign-in.ts), the console session (admin-sessions.ts), the guard every page sits
 * behind, the frame with its navigation, sign-out. Pages come from other modules as
 * `ConsolePage`s (console-page.ts) that the composition root adds; the host knows no page.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { AdapterInstance, AuditApi, PageApi } from '../../api/host-api.js';
import type { HostConfig } from '../../config/schema.js';
import type { Directory } from '../../directory/directory.js';
import type { PendingLogins } from '../../login/pending-logins.js';
import type { Csrf } from '../../http/csrf.js';
import { FactorgateError } from '../../kit/errors.js';
import { html, type SafeHtml } from '../../kit/pages/html.js';
import { layout } from '../../kit/pages/layout.js';
import { localTime, serverTimeZone } from '../../kit/pages/local-time.js';
import { t, type Locale } from '../../kit/i18n.js';
import { roleAllows, type ConsoleRole } from './admin-roles.js';
import type { AdminSession, AdminSessions } from './admin-sessions.js';
import { adminSignInAdapter, beginAdminSignIn, CONSOLE_PATH, type AdminSignInDeps } from './admin-sign-in.js';
import type { ConsoleContext, ConsolePage } from './console-page.js';
import { seeOther } from '../../http/see-other.js';
import './console-messages.js';

export interface AdminConsoleDeps {
  config: HostConfig['admin'];
  branding: HostConfig['branding'];
  directory: Pick<Directory, 'find'>;
  sessions: AdminSessions;
  pending: Pick<PendingLogins, 'create'>;
  audit: AuditApi;
  pages: Pick<PageApi, 'denied' | 'error'>;
  csrf: Pick<Csrf, 'token' | 'check'>;
  locale(req: Request): Locale;
  logger: Logger;
  maxBodyBytes: number;
}

export interface AdminConsole {
  /** Resumes the console's sign-ins; the composition root registers it with the challenge engine's adapters. */
  readonly adapter: AdapterInstance;
  /** Adds a page (before `router()` is called). */
  addPage(page: ConsolePage): void;
  /** Every console route, to mount on the main app or on the `admin.listen` one. */
  router(): Router;
}

const ADMIN_KEY = 'fgAdmin';

export function createAdminConsole(deps: AdminConsoleDeps): AdminConsole {
  const pages: ConsolePage[] = [];
  const timeZone = deps.branding.timeZone ?? serverTimeZone();
  const signIn: AdminSignInDeps = {
    roles: deps.config.roles,
    directory: deps.directory,
    sessions: deps.sessions,
    pending: deps.pending,
    audit: deps.audit,
    pages: deps.pages,
    logger: deps.logger,
  };
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 50 });

  const admin = (res: Response): AdminSession => {
    const a = (res.locals as Record<string, unknown>)[ADMIN_KEY] as AdminSession | undefined;
    if (!a) throw new FactorgateError('UNAUTHORIZED', { detail: 'console page reached without the guard' });
    return a;
  };

  const render = (req: Request, res: Response, status: number, title: string, body: SafeHtml) => {
    const L = deps.locale(req);
    const a = admin(res);
    const links = [{ path: CONSOLE_PATH, key: 'admin.nav.home' }, ...pages.filter((p) => p.nav && roleAllows(a.role, p.role)).map((p) => ({ path: `${CONSOLE_PATH}${p.path}`, key: p.nav! }))];
    const nav = html`<nav class="console" aria-label="${t(L, 'admin.title')}">${links.map((l) => html`<a href="${l.path}">${t(L, l.key)}</a>`)}
<form method="post" action="${CONSOLE_PATH}/logout"><input type="hidden" name="_csrf" value="${deps.csrf.token(req, res)}"><button type="submit" class="link">${t(L, 'admin.signOut')}</button></form></nav>`;
    res
      .status(status)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(layout({ locale: L, title: `${title} · ${t(L, 'admin.title')}`, branding: deps.branding, wide: true, body: html`${nav}${body}` }));
  };

  const requireRole = (res: Response, role: ConsoleRole) => {
    const a = admin(res);
    if (!roleAllows(a.role, role)) throw new FactorgateError('FORBIDDEN', { detail: `console role ${a.role} may not do what needs ${role}` });
  };

  const ctx: ConsoleContext = {
    render,
    locale: deps.locale,
    csrfToken: (req, res) => deps.csrf.token(req, res),
    checkCsrf: (req) => deps.csrf.check(req),
    form,
    admin,
    requireRole,
    time: (req, ms) => localTime(ms, deps.locale(req), timeZone),
  };

  /** Every page but sign-in and sign-out: a live console session from its own browser, or sign in. */
  const guard = async (req: Request, res: Response, next: (err?: unknown) => void) => {
    const found = await deps.sessions.get(req);
    if (!found.session) {
      if (found.end !== 'none') deps.logger.info({ end: found.end }, 'admin console session not accepted');
      if (req.method === 'GET' || req.method === 'HEAD') return beginAdminSignIn(signIn, req, res, req.originalUrl);
      throw new FactorgateError('UNAUTHORIZED', { detail: `admin console ${req.method} without a session (${found.end})` });
    }
    (res.locals as Record<string, unknown>)[ADMIN_KEY] = found.session;
    next();
  };

  const byRole = (role: ConsoleRole) => (req: Request, res: Response, next: (err?: unknown) => void) => {
    const a = admin(res);
    if (!roleAllows(a.role, role)) {
      deps.logger.warn({ admin: a.name, role: a.role, needs: role, path: req.originalUrl }, 'admin console page refused to this role');
      throw new FactorgateError('FORBIDDEN', { detail: `console role ${a.role} may not open a page that needs ${role}` });
    }
    next();
  };

  return {
    adapter: adminSignInAdapter(signIn),
    addPage(page) {
      if (pages.some((p) => p.path === page.path)) throw new Error(`console page ${page.path} is already added`);
      pages.push(page);
    },
    router() {
      const router = express.Router();
      router.get(`${CONSOLE_PATH}/login`, async (req, res) => {
        const found = await deps.sessions.get(req);
        if (found.session) return seeOther(res, CONSOLE_PATH);
        await beginAdminSignIn(signIn, req, res, typeof req.query.next === 'string' ? req.query.next : CONSOLE_PATH);
      });
      router.post(`${CONSOLE_PATH}/logout`, form, async (req, res) => {
        deps.csrf.check(req);
        await deps.sessions.destroy(req, res);
        const L = deps.locale(req);
        res
          .status(200)
          .type('html')
          .set('Cache-Control', 'no-store')
          .send(layout({ locale: L, title: t(L, 'admin.signedOut'), branding: deps.branding, body: html`<h1>${t(L, 'admin.signedOut')}</h1><p><a href="${CONSOLE_PATH}/login">${t(L, 'admin.signInAgain')}</a></p>` }));
      });
      router.use(CONSOLE_PATH, guard);
      router.get(CONSOLE_PATH, (req, res) => {
        const L = deps.locale(req);
        const a = admin(res);
        render(req, res, 200, t(L, 'admin.title'), html`<h1>${t(L, 'admin.title')}</h1>
<p class="muted">${t(L, 'admin.signedInAs', { name: a.name, role: t(L, `admin.role.${a.role}`) })}</p>
<p>${t(L, 'admin.home.intro')}</p>
${pages.filter((p) => p.home && roleAllows(a.role, p.role)).map((p) => p.home!(req, res, ctx))}`);
      });
      for (const page of pages) {
        const pageRouter = express.Router();
        page.routes(pageRouter, ctx);
        router.use(`${CONSOLE_PATH}${page.path}`, byRole(page.role), pageRouter);
      }
      return router;
    },
  };
}
