import { ADAPTER_NAME, CHANNEL, type Step } from '../exchange.js';
import { answerWith } from './replies.js';

/**
 * The second factor, from the same challenge engine as the page: a delivered code (SMS,
 * voice, email) is sent now and asked for with an Access-Challenge; a code typed in one field
 * is checked at once.
 */
export const beginChallenge: Step = async (x) => {
  const step = await x.deps.host.challenges.headless.begin({
    user: x.user!,
    adapter: ADAPTER_NAME,
    channel: CHANNEL,
    relyingParty: x.client.config.name,
    clientIp: x.clientIp,
    locale: x.locale,
    methods: x.client.config.methods,
    outsideMfaGroup: x.outsideMfaGroup,
    code: x.oneFieldCode,
  });
  return answerWith(x, step);
};
