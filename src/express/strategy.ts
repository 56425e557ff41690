/**
 * `FactorgateStrategy`, a passport strategy (passport is an optional peer: the class needs
 * nothing of it; passport augments any object with `authenticate` and a `name`). Without a
 * result in the query it sends the signed-in user to factorgate (`redirect`); with one it
 * verifies it and `success`es with the user plus `mfa: { methods, at }`. `requireMfa()` runs the
 * same code without passport.
 */
import type { Request } from 'express';
import { FactorgateClient, RESULT_PARAM, ResultRefused } from './factorgate-client.js';
import type { FactorgateOptions } from './options.js';
import { addPending, recordFactor, sessionOf, takePending, type MfaFacts, type VerifiedFactor } from './session-state.js';

/** The actions passport gives a strategy for one request (and `requireMfa` gives it alike). */
export interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  error(err: Error): void;
}

export type GetUser = NonNullable<FactorgateOptions['getUser']>;

export interface FactorgateStrategyOptions extends FactorgateOptions {
  /** The name passport knows the strategy by. Default 'factorgate'. */
  name?: string;
  /** Told why a result was refused (never the token). Default: a console warning. */
  onRefused?: (refusal: ResultRefused, req: Request) => void;
}

const strategies: FactorgateStrategy[] = [];

/** The one strategy constructed in this process, for `requireMfa()` without `factorgate`. */
export function defaultStrategy(): FactorgateStrategy {
  if (strategies.length === 1) return strategies[0]!;
  throw new Error(strategies.length === 0 ? 'factorgate/express: no FactorgateStrategy constructed; give requireMfa({ factorgate: … })' : 'factorgate/express: several FactorgateStrategy instances; name one in requireMfa({ factorgate })');
}

/** The user name factorgate knows the signed-in user by. */
export async function userOf(req: Request, getUser: GetUser | undefined): Promise<string | null> {
  if (getUser) return (await getUser(req)) || null;
  const u = (req as unknown as { user?: unknown }).user as Record<string, unknown> | undefined;
  if (!u || typeof u !== 'object') return null;
  for (const k of ['username', 'name', 'id']) if (typeof u[k] === 'string' && u[k] !== '') return u[k];
  return null;
}

/** Puts the facts where the app reads them: `req.user.mfa` (when there is a user object) and `req.factorgate`. */
export function attachFactor(req: Request, factor: VerifiedFactor): MfaFacts {
  const mfa: MfaFacts = { methods: [...factor.methods], at: factor.at };
  const r = req as unknown as { user?: unknown; factorgate?: VerifiedFactor };
  if (r.user && typeof r.user === 'object') (r.user as { mfa?: MfaFacts }).mfa = mfa;
  r.factorgate = factor;
  return mfa;
}

/** The URL the user asked for, without a result parameter: where factorgate sends them back. */
export function currentUrl(req: Request, appUrl: string | null): URL {
  const base = appUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const url = new URL(req.originalUrl, `${base}/`);
  url.searchParams.delete(RESULT_PARAM);
  return url;
}

export class FactorgateStrategy {
  readonly name: string;
  readonly client: FactorgateClient;
  private readonly getUser: GetUser | undefined;
  private readonly onRefused: (refusal: ResultRefused, req: Request) => void;

  constructor(options: FactorgateStrategyOptions) {
    this.name = options.name ?? 'factorgate';
    this.client = new FactorgateClient(options);
    this.getUser = options.getUser;
    this.onRefused = options.onRefused ?? ((r) => console.warn(r.message));
    strategies.push(this);
  }

  /**
   * passport's entry: passport calls it on an object made from the strategy (`Object.create`)
   * and given the request's actions; typed loosely so `passport.use()` accepts the class.
   */
  authenticate(req: Request, _options?: unknown): void {
    const self = this as unknown as FactorgateStrategy & StrategyActions;
    void self.handle(req, self);
  }

  /** One request: verify a returned result, or send the user to factorgate. Ends in exactly one action. */
  async handle(req: Request, actions: StrategyActions, getUser: GetUser | undefined = this.getUser): Promise<void> {
    try {
      const session = sessionOf(req);
      if (!session) return actions.error(new Error('factorgate/express needs a session (express-session or cookie-session) mounted before it'));
      const user = await userOf(req, getUser);
      if (!user) return actions.fail({ message: 'Sign in before the second factor.' }, 401);
      const now = this.client.options.now();
      const token = (req.query as Record<string, unknown>)[RESULT_PARAM];
      if (token !== undefined) {
        let factor: VerifiedFactor;
        try {
          factor = await this.client.verifyResult(typeof token === 'string' ? token : '', user, (nonce) => takePending(session, nonce, now));
        } catch (err) {
          if (!(err instanceof ResultRefused)) throw err;
          this.onRefused(err, req);
          return actions.fail({ message: 'The second-factor result was refused.', code: err.code }, err.code === 'JWKS_UNAVAILABLE' ? 503 : 401);
        }
        recordFactor(session, factor);
        const mfa = attachFactor(req, factor);
        const current = (req as unknown as { user?: unknown }).user;
        return actions.success(current && typeof current === 'object' ? current : { username: user, mfa }, { factorgate: factor });
      }
      const { url, pending } = await this.client.startRequest(user, currentUrl(req, this.client.options.appUrl).href);
      addPending(session, pending, now);
      return actions.redirect(url, 303);
    } catch (err) {
      return actions.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
