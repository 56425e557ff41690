import express from 'express';
import type { AdapterInstance, ChallengeOutcome } from '../../api/host-api.js';
import { BackupCodes, configuredMailer } from '../../factors/index.js';
import { mountLogin as mountLoginRoutes } from '../../login/login-routes.js';
import { mountAccountPortal } from '../../portal/account-routes.js';
import { mountAppPasswordsPortal } from '../../portal/app-passwords-routes.js';
import { mountBackupCodesPortal } from '../../portal/backup-codes-routes.js';
import { mountMethodsPortal } from '../../portal/methods-routes.js';
import { mountPinPortal } from '../../portal/pin-routes.js';
import { mountDevicesPortal } from '../../portal/devices-routes.js';
import { createReauth, portalReturnPath } from '../../portal/reauth.js';
import { createChangeNotices } from '../../portal/change-notices.js';
import { AppPasswords } from '../../users/app-passwords.js';
import { mountFraudLink } from '../../fraud/fraud-link-routes.js';
import type { StartStep } from './start-context.js';

/** The host's own pages (/login, the portal, /mfa) are one router; a direct sign-in hands back to the host itself. */
export const mountLogin: StartStep = (ctx) => {
  const { config, store, users, sessions, audit, csrf, clock, secrets, factors, engine } = ctx;
  const { pages, render, locale } = ctx.pages;
  // The host's own "adapter": a user who signs in at /login directly ends on a signed-in page.
  const hostAdapter: AdapterInstance = {
    async resume(outcome: ChallengeOutcome, req, res) {
      if (outcome.result === 'denied') {
        pages.denied(req, res, outcome);
        return;
      }
      // A portal re-authentication goes back to the page it interrupted.
      res.redirect(303, portalReturnPath(outcome.continuation) ?? '/login');
    },
  };
  ctx.instances.set('host', hostAdapter);

  const maxBodyBytes = config.server.maxBodyBytes;
  const router = express.Router();
  mountLoginRoutes(router, {
    users,
    challenges: engine.api,
    sessions,
    passwords: ctx.passwords,
    pending: ctx.pending,
    csrf,
    logger: ctx.logger,
    maxBodyBytes,
    defaultPolicy: config.challenge.enrolmentPolicy,
    locale,
    render,
  });
  const reauth = createReauth({ challenges: engine.api, audit, clock });
  const notices = createChangeNotices({ db: store.db, mailer: configuredMailer(config, ctx.logger), factors, audit, clock, logger: ctx.logger, productName: config.branding.productName, publicUrl: config.publicUrl });
  mountAccountPortal(router, { db: store.db, users, sessions, csrf, factors, locale, render });
  mountMethodsPortal(router, { db: store.db, users, sessions, audit, csrf, clock, reauth, notices, factors, directoryOwns: config.portal.directoryOwns, mfaRequired: config.challenge.enrolmentPolicy !== 'allow', maxBodyBytes, locale, render });
  mountAppPasswordsPortal(router, { users, sessions, audit, csrf, clock, reauth, notices, appPasswords: new AppPasswords(store.db), maxBodyBytes, locale, render });
  mountBackupCodesPortal(router, { users, sessions, audit, csrf, clock, reauth, notices, codes: new BackupCodes(store.db), maxBodyBytes, locale, render });
  mountPinPortal(router, { db: store.db, users, sessions, audit, csrf, clock, reauth, notices, secrets, regulation: ctx.regulation, maxBodyBytes, locale, render });
  mountDevicesPortal(router, { users, sessions, audit, csrf, clock, devices: ctx.devices, maxBodyBytes, locale, render });
  mountFraudLink(router, { db: store.db, links: ctx.fraudLinks, reports: ctx.fraudReports, users, csrf, clock, logger: ctx.logger, maxBodyBytes, locale, render });
  engine.mount(router);
  ctx.app.use(router);
  ctx.hostRouter = router;
};
