/**
 * The host's pages as adapters and the host's own routes use them (`HostApi.pages`): the error
 * page, the page of a denied sign-in, the request's language and the CSRF token. One builder,
 * so every adapter shows the same page for the same denial.
 */
import type { Request, Response } from 'express';
import type { PageApi } from '../../api/host-api.js';
import type { Clock } from '../../kit/clock.js';
import type { Csrf } from '../../http/csrf.js';
import type { HostConfig } from '../../config/schema.js';
import { pickLocale, t, type Locale } from '../../kit/i18n.js';
import { html, type SafeHtml } from '../../kit/pages/html.js';
import { layout } from '../../kit/pages/layout.js';
import { deniedPage } from '../../kit/pages/denied-page.js';
import { serverTimeZone } from '../../kit/pages/local-time.js';

export type RenderPage = (req: Request, res: Response, status: number, title: string, body: SafeHtml) => void;

export interface HostPages {
  pages: PageApi;
  render: RenderPage;
  locale(req: Request): Locale;
}

export function createPages(deps: { branding: HostConfig['branding']; clock: Clock; csrf: Pick<Csrf, 'token' | 'check'> }): HostPages {
  const { branding, clock, csrf } = deps;
  const timeZone = branding.timeZone ?? serverTimeZone();
  const locale = (req: Request): Locale => pickLocale(req, branding.defaultLocale);
  const render: RenderPage = (req, res, status, title, body) => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(layout({ locale: locale(req), title, branding, body }));
  };
  const pages: PageApi = {
    locale,
    csrfToken: (req, res) => csrf.token(req, res),
    checkCsrf: (req) => csrf.check(req),
    error(req, res, status, messageKey, publicDetail) {
      const L = locale(req);
      render(
        req,
        res,
        status,
        t(L, 'page.title.error'),
        html`<h1>${t(L, 'page.title.error')}</h1><p class="error" role="alert">${t(L, messageKey)}</p>${publicDetail ? html`<p class="muted">${publicDetail}</p>` : ''}<p><a href="/login">${t(L, 'page.back')}</a></p>`,
      );
    },
    denied(req, res, denial) {
      const page = deniedPage(locale(req), denial, { helpdesk: branding.helpdesk, timeZone, now: clock.now() });
      render(req, res, page.status, page.title, page.body);
    },
  };
  return { pages, render, locale };
}
