import express from 'express';
import { ADMIN_API_PATH, createAdminApiRouter, renderApiError } from '../../admin/api/admin-api.js';
import { API_TOKEN_KEY_PURPOSE, ApiTokens } from '../../admin/api-tokens.js';
import { createAdminConsole } from '../../admin/console/admin-console.js';
import { AdminSessions } from '../../admin/console/admin-sessions.js';
import { ADMIN_CONSOLE_ADAPTER } from '../../admin/console/admin-sign-in.js';
import { requestSteps } from '../request-steps.js';
import { usersPage } from '../../admin/console/users/users-page.js';
import { reportsPage } from '../../admin/console/reports/reports-page.js';
import { tokenStockPage } from '../../admin/console/tokens/token-stock-page.js';
import { fraudReportsPage } from '../../admin/console/fraud/fraud-reports-page.js';
import { UserAdmin } from '../../admin/user-admin.js';
import { durationToMs } from '../../kit/durations.js';
import { TokenRepository } from '../../tokens/token-repository.js';
import { createEnrolmentSender } from '../../enrolment/enrolment-mail.js';
import { createErrorHandler } from '../error-handler.js';
import type { StartStep } from './start-context.js';

/** With admin.listen the console has its own listener (sign-in and challenge pages included) and the main one answers 404 under /admin. */
export const mountAdminConsole: StartStep = (ctx) => {
  const { config, store, clock, cookies, app } = ctx;
  // Its sign-ins resume here like an adapter's.
  const adminConsole = createAdminConsole({
    config: config.admin,
    branding: config.branding,
    directory: ctx.directory,
    sessions: new AdminSessions(store.db, clock, cookies, durationToMs(config.admin.sessionIdle), durationToMs(config.admin.sessionMax)),
    pending: ctx.pending,
    audit: ctx.audit,
    pages: ctx.pages.pages,
    csrf: ctx.csrf,
    locale: ctx.pages.locale,
    logger: ctx.logger,
    maxBodyBytes: config.server.maxBodyBytes,
  });
  ctx.instances.set(ADMIN_CONSOLE_ADAPTER, adminConsole.adapter);
  // The console's pages, in navigation order.
  const tokens = new TokenRepository(store.db, ctx.secrets, clock);
  const enrolmentMail = createEnrolmentSender({ db: store.db, config, clock, secrets: ctx.secrets });
  const userAdmin = new UserAdmin({ db: store.db, clock, audit: ctx.audit, config, tokens, enrolmentMail });
  adminConsole.addPage(usersPage({ db: store.db, clock, userAdmin, bypass: config.admin.bypass, logger: ctx.logger }));
  adminConsole.addPage(tokenStockPage({ db: store.db, tokens, audit: ctx.audit, logger: ctx.logger }));
  adminConsole.addPage(reportsPage({ db: store.db, clock }));
  adminConsole.addPage(fraudReportsPage({ db: store.db, userAdmin, logger: ctx.logger }));
  // The admin API (issue 18) goes wherever the console goes, ahead of the console's guard; its
  // errors are JSON, through the same error handler with a JSON renderer.
  const adminApi = express.Router();
  adminApi.use(
    ADMIN_API_PATH,
    createAdminApiRouter({
      db: store.db,
      clock,
      audit: ctx.audit,
      regulation: ctx.regulation,
      logger: ctx.logger,
      userAdmin,
      tokens,
      apiTokens: new ApiTokens(store.db, clock, ctx.secrets.deriveKey(API_TOKEN_KEY_PURPOSE)),
      maxBodyBytes: config.server.maxBodyBytes,
    }),
    createErrorHandler(ctx.logger, renderApiError, ctx.outages),
  );
  const consoleApp = config.admin.listen ? express() : null;
  if (consoleApp) {
    consoleApp.disable('x-powered-by');
    consoleApp.set('trust proxy', app.get('trust proxy'));
    consoleApp.use(requestSteps([ctx.securityHeaders, ctx.requestLog]), adminApi, ctx.hostRouter, adminConsole.router());
  } else {
    app.use(adminApi, adminConsole.router());
  }
  ctx.consoleApp = consoleApp;
};
