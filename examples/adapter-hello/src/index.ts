/**
 * factorgate-adapter-hello: the smallest useful adapter, written against `factorgate/adapter`
 * only. `GET /hello/` hands a directory user to the challenge engine (through the host's
 * sign-in page when they have no session yet); after the second factor, `resume` counts the
 * visit in the adapter's own table and says hello. See README.md for the walk-through.
 */
import { FactorgateError, z, type AdapterDefinition, type AdapterInstance, type ChallengeOutcome, type HostApi } from 'factorgate/adapter';
import { greetingPage } from './greeting-page.js';
import { countVisit, migrations, type HelloTables } from './visit-counter.js';

/** The adapter's registered name: `challenges.begin` and `login.begin` name it, so its `resume` runs. */
const NAME = 'hello';
/** Where its routes live; nothing it mounts can reach outside it. */
const MOUNT_PATH = '/hello';

/** Its section under `adapters:` in factorgate.yaml; every problem is reported with its key. */
export const configSchema = z.strictObject({
  greeting: z.string().min(1).max(100).default('hello').describe('What the page says before the name. Default hello.'),
});
export type HelloConfig = z.output<typeof configSchema>;

/** What the adapter keeps with the challenge (sealed by the host) and gets back in `resume`. */
interface HelloContinuation {
  page: 'greeting';
}

function isHelloContinuation(value: unknown): value is HelloContinuation {
  return typeof value === 'object' && value !== null && (value as { page?: unknown }).page === 'greeting';
}

function createHello(host: HostApi<HelloTables>, config: HelloConfig): AdapterInstance {
  return {
    routes(router) {
      router.get('/', async (req, res) => {
        const continuation: HelloContinuation = { page: 'greeting' };
        const session = await host.sessions.get(req);
        const user = session ? await host.users.findById(session.userId) : null;
        if (!user) {
          // Not signed in: the host's password page first; the challenge then begins for us.
          res.redirect(303, await host.login.begin({ adapter: NAME, continuation, req, res }));
          return;
        }
        // Signed in: every visit asks for a second factor again (a step-up), then `resume`.
        const { redirectTo } = await host.challenges.begin({ user, adapter: NAME, continuation, req, res });
        res.redirect(303, redirectTo);
      });
    },

    async resume(outcome: ChallengeOutcome, req, res) {
      if (!isHelloContinuation(outcome.continuation)) throw new FactorgateError('BAD_REQUEST', { detail: 'hello: not a continuation of this adapter' });
      if (outcome.result === 'denied') {
        // The reason is for the log (the host audits it); the user sees the host's neutral page.
        host.logger.info({ adapter: NAME, challengeId: outcome.challengeId, reason: outcome.reason }, 'hello: second factor denied');
        host.pages.denied(req, res, outcome);
        return;
      }
      const visits = await countVisit(host.db, outcome.user.id);
      const name = outcome.user.displayName ?? outcome.user.username;
      // This answers the challenge page's POST (/mfa/…): links are absolute.
      const again = `${host.publicUrl}${MOUNT_PATH}/`;
      res.status(200).type('html').set('Cache-Control', 'no-store').send(greetingPage({ greeting: config.greeting, name, visits, lang: host.pages.locale(req), again }));
    },
  };
}

export const adapter: AdapterDefinition<HelloConfig, HelloTables> = {
  name: NAME,
  configKey: 'hello',
  mountPath: MOUNT_PATH,
  hostApi: '^2.0',
  configSchema,
  migrations,
  create: createHello,
};

export default adapter;
