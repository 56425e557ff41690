/**
 * A minimal adapter that proves the challenge contract end to end: `GET /test-app/start?user=`
 * plays "primary authentication passed" and calls `host.challenges.begin`; `resume` records
 * every outcome it receives and answers a small page (or the host's neutral denial page).
 */
import { z } from 'zod';
import type { AdapterDefinition, ChallengeOutcome, HostApi } from '../../src/api/host-api.js';

export const TEST_ADAPTER_NAME = 'test-app';

export interface TestAdapterRecord {
  outcomes: ChallengeOutcome[];
}

const configSchema = z.strictObject({
  enrolmentPolicy: z.enum(['enroll', 'deny', 'allow']).optional(),
  relyingParty: z.string().default('test-relying-party'),
});
export type TestAdapterConfig = z.output<typeof configSchema>;

export function testAdapter(record: TestAdapterRecord = { outcomes: [] }): AdapterDefinition<TestAdapterConfig> & { record: TestAdapterRecord } {
  return {
    record,
    name: TEST_ADAPTER_NAME,
    configKey: 'testApp',
    hostApi: '^2.0',
    configSchema,
    mountPath: '/test-app',
    create(host: HostApi, config: TestAdapterConfig) {
      return {
        routes(router) {
          router.get('/start', async (req, res) => {
            const username = typeof req.query.user === 'string' ? req.query.user : '';
            const user = await host.users.findByUsername(username);
            if (!user) {
              res.status(404).type('text').send('no such user');
              return;
            }
            const began = await host.challenges.begin({
              user,
              adapter: TEST_ADAPTER_NAME,
              continuation: { returnTo: '/app/home', nonce: typeof req.query.nonce === 'string' ? req.query.nonce : null },
              relyingParty: config.relyingParty,
              enrolmentPolicy: config.enrolmentPolicy,
              // `?stepUp=1` plays a relying party asking for a multi-factor context.
              stepUp: req.query.stepUp === '1',
              req,
              res,
            });
            res.redirect(303, began.redirectTo);
          });
        },
        async resume(outcome, req, res) {
          record.outcomes.push(outcome);
          if (outcome.result === 'denied') {
            host.pages.denied(req, res, outcome);
            return;
          }
          res
            .status(200)
            .type('html')
            .send(`<!doctype html><title>signed in</title><p id="result">verified ${outcome.user.username} with ${outcome.methods.join(',') || 'no second factor'}</p>`);
        },
      };
    },
  };
}
