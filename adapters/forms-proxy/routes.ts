/**
 * The adapter's routes on the main listener (under `/forms-proxy`). A held login hops here
 * from the app's origin so the challenge begins on factorgate's own origin, where the
 * challenge engine's browser-binding cookie belongs.
 */
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { HostServices } from '../../src/sdk/adapter.js';
import { isFactorgateError } from '../../src/sdk/adapter.js';
import type { PendingLogins } from './pending-logins.js';

export const ADAPTER_NAME = 'forms-proxy';

/** Where the main listener serves these routes. */
export const MOUNT_PATH = '/forms-proxy';

/** What the adapter asks the challenge engine to keep for it. */
export interface FormsProxyContinuation {
  v: 1;
  app: string;
  pendingId: string;
}

export function isContinuation(v: unknown): v is FormsProxyContinuation {
  const c = v as Partial<FormsProxyContinuation> | null;
  return c !== null && typeof c === 'object' && c.v === 1 && typeof c.app === 'string' && typeof c.pendingId === 'string';
}

export function mountRoutes(router: Router, deps: { host: HostServices; pending: PendingLogins; log: Logger }): void {
  const { host, pending, log } = deps;

  router.get('/start/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id ?? '');
    try {
      const row = /^[A-Za-z0-9_-]{16,64}$/.test(id) ? await pending.beginChallenge(id) : null;
      if (!row) {
        log.warn({ pendingId: id.slice(0, 64) }, 'challenge start refused: unknown, expired or already started');
        host.pages.error(req, res, 410, 'error.CHALLENGE_EXPIRED');
        return;
      }
      const user = row.userId ? await host.users.findById(row.userId) : null;
      if (!user || user.disabled) {
        await pending.deny(row.id);
        log.warn({ app: row.app, username: row.username }, 'challenge start refused: user unknown or disabled');
        host.pages.error(req, res, 403, 'error.FORBIDDEN');
        return;
      }
      const continuation: FormsProxyContinuation = { v: 1, app: row.app, pendingId: row.id };
      const began = await host.challenges.begin({ user, adapter: ADAPTER_NAME, continuation, relyingParty: row.app, req, res });
      await pending.setChallenge(row.id, began.challengeId, user.id);
      res.setHeader('cache-control', 'no-store');
      res.redirect(303, `${host.publicUrl}${began.redirectTo}`);
    } catch (err) {
      log.error({ error: isFactorgateError(err) ? err.code : 'INTERNAL', detail: isFactorgateError(err) ? err.detail : String(err) }, 'challenge start failed');
      if (res.headersSent) res.destroy();
      else host.pages.error(req, res, isFactorgateError(err) ? err.status : 500, isFactorgateError(err) ? `error.${err.code}` : 'error.INTERNAL');
    }
  });
}
