import { isFactorgateError } from '../../../src/sdk/adapter.js';
import { ADAPTER_NAME, CHANNEL, type Step } from '../exchange.js';
import { answerWith, reject } from './replies.js';

/**
 * RFC 2865 §4.4: the answer to an Access-Challenge is a new Access-Request carrying the State
 * and, in User-Password, what the user typed: the code. The State is taken once from the
 * store (any host may have issued it) and must name this user and this client; the code goes
 * to the challenge engine, which counts, audits and decides as for the page.
 */
export const continueChallenge: Step = async (x) => {
  if (!x.request.state) return 'next';
  const state = await x.deps.states.take(x.request.state);
  if (!state || state.username !== x.username || state.client !== x.client.config.name) {
    x.log.warn({ userName: x.username, reason: state ? 'STATE_MISMATCH' : 'STATE_UNKNOWN' }, 'RADIUS Access-Reject: State unknown, expired, used or not this user\'s');
    return reject(x);
  }
  x.groups = state.groups;
  try {
    const step = await x.deps.host.challenges.headless.answer({
      challengeId: state.challengeId,
      adapter: ADAPTER_NAME,
      channel: CHANNEL,
      code: x.password.trim(),
      clientIp: x.clientIp,
      methods: x.client.config.methods,
    });
    return await answerWith(x, step);
  } catch (err) {
    if (!isFactorgateError(err) || (err.code !== 'CHALLENGE_NOT_FOUND' && err.code !== 'CHALLENGE_USED')) throw err;
    x.log.warn({ userName: x.username, reason: err.code }, 'RADIUS Access-Reject: challenge no longer open');
    return reject(x);
  }
};
