/**
 * `GET/POST /fraud/report?t=<token>`: the "This wasn't me" link of a sent code (issue 20). GET
 * only shows a confirm page (no JS, a CSRF-protected form), so a mail scanner that follows the
 * link reports nothing; POST reports through `FraudReports.report` (channel `link`): the same
 * row, audit, admin mail and block as the challenge page's button. A forged, tampered, expired
 * or already used token gets a 400 page and a log line.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { UserApi } from '../api/host-api.js';
import type { Csrf } from '../http/csrf.js';
import type { Clock } from '../kit/clock.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { html, type SafeHtml } from '../kit/pages/html.js';
import type { Database } from '../store/schema.js';
import { FRAUD_LINK_PATH, type FraudLinks } from './fraud-link.js';
import type { FraudReports } from './fraud-reports.js';

addMessages('en', {
  'fraudLink.title': 'Report a sign-in you did not start',
  'fraudLink.intro': 'A sign-in code was sent to you. If you did not try to sign in, someone may know your password: report it, and your IT support is told.',
  'fraudLink.button': 'I didn’t try to sign in: report it',
  'fraudLink.done': 'Thank you: the sign-in is reported and stopped. Change your password and contact your IT support.',
  'fraudLink.invalid': 'This link is not valid, has expired or was already used.',
});
addMessages('fr', {
  'fraudLink.title': 'Signaler une connexion que vous n’avez pas tentée',
  'fraudLink.intro': 'Un code de connexion vous a été envoyé. Si vous n’avez pas tenté de vous connecter, quelqu’un connaît peut-être votre mot de passe : signalez-le, votre support informatique est prévenu.',
  'fraudLink.button': 'Je n’ai pas essayé de me connecter : le signaler',
  'fraudLink.done': 'Merci : la connexion est signalée et arrêtée. Changez votre mot de passe et contactez votre support informatique.',
  'fraudLink.invalid': 'Ce lien n’est pas valide, a expiré ou a déjà servi.',
});

export interface FraudLinkRoutesDeps {
  db: Kysely<Database>;
  links: Pick<FraudLinks, 'check'>;
  reports: Pick<FraudReports, 'reportChallenge' | 'alreadyReported'>;
  users: Pick<UserApi, 'findById'>;
  csrf: Pick<Csrf, 'token' | 'check'>;
  clock: Clock;
  logger: Logger;
  maxBodyBytes: number;
  locale(req: Request): Locale;
  render(req: Request, res: Response, status: number, title: string, body: SafeHtml): void;
}

export function mountFraudLink(router: Router, deps: FraudLinkRoutesDeps): void {
  const log = deps.logger.child({ route: 'fraud-link' });
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 5 });

  /** The challenge the token names, if the token is good and no report was made from it yet. */
  const resolve = async (req: Request) => {
    const token = typeof req.query.t === 'string' ? req.query.t : '';
    const checked = deps.links.check(token);
    if (!checked.ok) return { ok: false, token, refused: checked.reason } as const;
    const challenge = await deps.db.selectFrom('challenges').selectAll().where('id', '=', checked.challengeId).executeTakeFirst();
    if (!challenge) return { ok: false, token, refused: 'UNKNOWN_CHALLENGE' } as const;
    if (await deps.reports.alreadyReported(challenge.id)) return { ok: false, token, refused: 'ALREADY_REPORTED' } as const;
    const user = await deps.users.findById(challenge.user_id);
    if (!user) return { ok: false, token, refused: 'UNKNOWN_USER' } as const;
    return { ok: true, token, challenge, user } as const;
  };

  const invalid = (req: Request, res: Response, reason: string) => {
    log.warn({ reason, clientIp: req.ip }, 'fraud link refused');
    const L = deps.locale(req);
    deps.render(req, res, 400, t(L, 'fraudLink.title'), html`<h1>${t(L, 'fraudLink.title')}</h1><p class="error" role="alert" id="fraud-link-error">${t(L, 'fraudLink.invalid')}</p>`);
  };

  router.get(FRAUD_LINK_PATH, async (req, res) => {
    const r = await resolve(req);
    if (!r.ok) return invalid(req, res, r.refused);
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    deps.render(
      req,
      res,
      200,
      t(L, 'fraudLink.title'),
      html`<h1>${t(L, 'fraudLink.title')}</h1>
<p>${t(L, 'fraudLink.intro')}</p>
<form method="post" action="${FRAUD_LINK_PATH}?t=${r.token}" id="fraud-link-form"><input type="hidden" name="_csrf" value="${token}"><button type="submit" id="fraud-link-report">${t(L, 'fraudLink.button')}</button></form>`,
    );
  });

  router.post(FRAUD_LINK_PATH, form, async (req, res) => {
    deps.csrf.check(req);
    const r = await resolve(req);
    if (!r.ok) return invalid(req, res, r.refused);
    const { challenge } = r;
    // The method is the one whose code carried the link.
    const sent = await deps.db.selectFrom('delivered_codes').select('kind').where('challenge_id', '=', challenge.id).orderBy('issued_at', 'desc').executeTakeFirst();
    const filed = await deps.reports.reportChallenge({ challengeId: challenge.id, method: sent?.kind ?? null, channel: 'link', now: deps.clock.now() });
    if (!filed.ok) return invalid(req, res, filed.reason);
    const L = deps.locale(req);
    deps.render(req, res, 200, t(L, 'fraudLink.title'), html`<h1>${t(L, 'fraudLink.title')}</h1><p class="notice" role="status" id="fraud-link-done">${t(L, 'fraudLink.done')}</p>`);
  });
}
