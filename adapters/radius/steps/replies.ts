import { challengePrompt, deniedMessage } from '../prompts.js';
import { acceptAttributes } from '../accept-attributes.js';
import { ATTR, CODE } from '../wire/packet-format.js';
import { replyMessage } from '../wire/write-reply.js';
import type { HeadlessChallengeStep } from '../../../src/sdk/adapter.js';
import type { Exchange, StepResult } from '../exchange.js';

/** Access-Reject with the one neutral message; the reason is already in the log and the audit. */
export function reject(x: Exchange): StepResult {
  x.reply = { code: CODE.ACCESS_REJECT, attributes: replyMessage(deniedMessage(x.locale)) };
  return 'answered';
}

/**
 * The challenge engine's answer, on the wire: a code still wanted → Access-Challenge with the
 * method's prompt and a fresh State (or, when the code came in one field, Access-Reject: such
 * a client cannot answer a challenge); verified → Access-Accept with the client's attributes;
 * denied → Access-Reject.
 */
export async function answerWith(x: Exchange, step: HeadlessChallengeStep): Promise<StepResult> {
  if (step.status === 'ended') {
    const { outcome } = step;
    if (outcome.result === 'verified') {
      x.log.info({ userName: x.username, methods: outcome.methods, multiFactor: outcome.multiFactor }, 'RADIUS Access-Accept');
      x.reply = { code: CODE.ACCESS_ACCEPT, attributes: acceptAttributes(x.client.config, x.groups) };
      return 'answered';
    }
    x.log.warn({ userName: x.username, reason: outcome.reason }, 'RADIUS Access-Reject: challenge denied');
    return reject(x);
  }
  if (x.oneFieldCode !== undefined) {
    x.log.warn({ userName: x.username, method: step.method }, 'RADIUS Access-Reject: the code typed in one field was refused');
    return reject(x);
  }
  const token = await x.deps.states.issue({ challengeId: step.challengeId, username: x.username, client: x.client.config.name, groups: x.groups });
  x.reply = { code: CODE.ACCESS_CHALLENGE, attributes: [...replyMessage(challengePrompt(x.locale, step)), { type: ATTR.STATE, value: token }] };
  return 'answered';
}
