/**
 * `requireMfa()`: an Express middleware for routes that want a recent second factor. A user
 * whose session holds a factor from factorgate younger than `maxAge` passes (with
 * `req.user.mfa = { methods, at }`); a GET without one is sent to factorgate with a signed
 * request; the result that comes back is verified by the strategy's code, the session id is
 * renewed, and the browser is sent to the same URL without the result. Other methods without a
 * recent factor get 401 (a form post cannot survive the round trip).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RESULT_PARAM } from './factorgate-client.js';
import { maxAgeMs } from './max-age.js';
import { regenerate, sessionOf, verifiedFactor } from './session-state.js';
import { attachFactor, currentUrl, defaultStrategy, FactorgateStrategy, userOf, type FactorgateStrategyOptions, type GetUser, type StrategyActions } from './strategy.js';

export interface RequireMfaOptions {
  /** How old a factor may be (`'8h'`, `'15m'`, or ms). Default '8h'. */
  maxAge?: string | number;
  /** The strategy (or its options) to use. Default: the one FactorgateStrategy constructed. */
  factorgate?: FactorgateStrategy | FactorgateStrategyOptions;
  /** The signed-in user's name, for apps without passport. Default: the strategy's. */
  getUser?: GetUser;
}

function text(res: Response, status: number, message: string): void {
  res.status(status).type('text/plain').set('cache-control', 'no-store').send(`${message}\n`);
}

export function requireMfa(options: RequireMfaOptions = {}): RequestHandler {
  const maxAge = maxAgeMs(options.maxAge ?? '8h');
  let own: FactorgateStrategy | null = options.factorgate && !(options.factorgate instanceof FactorgateStrategy) ? new FactorgateStrategy(options.factorgate) : null;
  return (req: Request, res: Response, next: NextFunction): void => {
    void (async () => {
      own ??= options.factorgate instanceof FactorgateStrategy ? options.factorgate : defaultStrategy();
      const strategy = own;
      const session = sessionOf(req);
      if (!session) return next(new Error('requireMfa needs a session (express-session or cookie-session) mounted before it'));
      const hasResult = (req.query as Record<string, unknown>)[RESULT_PARAM] !== undefined;
      if (!hasResult) {
        const user = await userOf(req, options.getUser);
        const factor = verifiedFactor(session);
        const now = strategy.client.options.now();
        if (user && factor && factor.user === user && factor.at + maxAge > now && factor.at <= now + 60_000 && (factor.multiFactor || strategy.client.options.allowWithoutFactor)) {
          attachFactor(req, factor);
          return next();
        }
        if (user && req.method !== 'GET' && req.method !== 'HEAD') return text(res, 401, 'A recent second factor is needed: open the page again to verify.');
      }
      const actions: StrategyActions = {
        success: (user) => {
          const passportUser = (req as unknown as { user?: unknown }).user === user ? user : undefined;
          regenerate(req, passportUser).then(
            () => res.redirect(303, currentUrl(req, strategy.client.options.appUrl).href),
            (err: unknown) => next(err),
          );
        },
        fail: (_challenge, status) => text(res, status ?? 401, status === 503 ? 'The second factor cannot be checked now; try again shortly.' : status === 401 && !hasResult ? 'Sign in first.' : 'The second-factor result was refused. Open the page again to verify.'),
        redirect: (url, status) => res.redirect(status ?? 302, url),
        error: (err) => next(err),
      };
      await strategy.handle(req, actions, options.getUser ?? undefined);
    })().catch(next);
  };
}
