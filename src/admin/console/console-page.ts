/**
 * How a module adds a page to the /admin console: a `ConsolePage` handed to
 * `AdminConsole.addPage` by the composition root (src/host/host.ts). The console mounts the
 * page's routes at `/admin<path>` behind its guard (signed-in admin session, bound browser, at
 * least `role`), so a page never checks who is signed in itself; it renders through
 * `ctx.render` (the console frame and navigation) and checks CSRF on every POST with
 * `ctx.checkCsrf` after parsing the form with `ctx.form`.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Locale } from '../../kit/i18n.js';
import type { SafeHtml } from '../../kit/pages/html.js';
import type { ConsoleRole } from './admin-roles.js';
import type { AdminSession } from './admin-sessions.js';

export interface ConsolePage {
  /** Where it lives below /admin: `/users`, `/reports`. */
  path: `/${string}`;
  /** The least role that may open it (`admin` includes `helpdesk`). */
  role: ConsoleRole;
  /** Message key of its navigation link (shown to those whose role allows it); none: linked from other pages only. */
  nav?: string;
  /** A fragment for the console's front page (a search box, a summary), shown to those whose role allows the page. */
  home?(req: Request, res: Response, ctx: ConsoleContext): SafeHtml;
  /** Mounts its routes on a router that already sits behind the guard; paths are relative to `path`. */
  routes(router: Router, ctx: ConsoleContext): void;
}

export interface ConsoleContext {
  /** The console frame (wide page, navigation for the admin's role, sign-out) around `body`. */
  render(req: Request, res: Response, status: number, title: string, body: SafeHtml): void;
  locale(req: Request): Locale;
  /** The CSRF token for a hidden `_csrf` field. */
  csrfToken(req: Request, res: Response): string;
  /** Throws CSRF_FAILED (403) unless the posted `_csrf` matches; call first in every POST. */
  checkCsrf(req: Request): void;
  /** URL-encoded form parser with the host's body limit. */
  form: RequestHandler;
  /** The signed-in admin of this request (set by the guard). */
  admin(res: Response): AdminSession;
  /** Throws FORBIDDEN unless the signed-in admin holds at least `role` (for one action inside a page). */
  requireRole(res: Response, role: ConsoleRole): void;
  /** An instant as the console shows it: `<time>` in the configured zone and the page's language. */
  time(req: Request, ms: number): SafeHtml;
}
