import type express from 'express';
import { redactUrl } from '../../audit/logger.js';
import { FactorgateError } from '../../kit/errors.js';
import { createErrorHandler } from '../error-handler.js';
import type { StartStep } from './start-context.js';

/** Last on every app: an unknown path is NOT_FOUND, and every error becomes its page and status in one place. */
export const mountErrorPages: StartStep = (ctx) => {
  const { app, logger, pages } = ctx;
  app.get('/', (_req, res) => {
    res.redirect(302, '/login');
  });
  const notFound: express.RequestHandler = (req, _res, next) => {
    next(new FactorgateError('NOT_FOUND', { detail: `${req.method} ${redactUrl(req.originalUrl)}` }));
  };
  const errorHandler = createErrorHandler(logger, (req, res, status, key, detail) => pages.pages.error(req, res, status, key, detail), ctx.outages);
  app.use(notFound, errorHandler);
  ctx.consoleApp?.use(notFound, errorHandler);
};
