/**
 * What the portal's pages share, declared once: each page's own deps extend one of these and add
 * only what is its own (its store, factors, sealer…). Three tiers, each adding to the one before.
 */
import type { Request, Response } from 'express';
import type { AuditApi } from '../api/host-api.js';
import type { Csrf } from '../http/csrf.js';
import type { Clock } from '../kit/clock.js';
import type { Locale } from '../kit/i18n.js';
import type { SafeHtml } from '../kit/pages/html.js';
import type { ChangeNotices } from './change-notices.js';
import type { Reauth } from './reauth.js';
import type { SignedInDeps } from './signed-in-user.js';

/** A portal page: who is signed in, its forms' CSRF token, its language and its layout. */
export interface PortalPageDeps extends SignedInDeps {
  csrf: Csrf;
  locale(req: Request): Locale;
  render(req: Request, res: Response, status: number, title: string, body: SafeHtml): void;
}

/** A page whose forms change something: the audit, the clock, and a bound on the posted body. */
export interface PortalFormDeps extends PortalPageDeps {
  audit: AuditApi;
  clock: Clock;
  maxBodyBytes: number;
}

/**
 * A page that changes how the user signs in: a second factor within the last five minutes
 * (`reauth`), and the user told by mail of every change (`notices`).
 */
export interface AccountChangeDeps extends PortalFormDeps {
  reauth: Reauth;
  notices: ChangeNotices;
}
