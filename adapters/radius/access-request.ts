/**
 * An Access-Request from datagram to reply, one check per file (steps/). Never throws: any
 * unexpected error is logged and the request dropped (the client retries or fails over), so
 * no packet, however malformed, can take the socket handler down.
 */
import { Exchange, type ExchangeDeps, type Step } from './exchange.js';
import { writeReply } from './wire/write-reply.js';
import { readRequest } from './steps/read-request.js';
import { identifyClient } from './steps/identify-client.js';
import { checkMessageAuthenticator } from './steps/check-message-authenticator.js';
import { answerDuplicate } from './steps/answer-duplicate.js';
import { requirePap } from './steps/require-pap.js';
import { continueChallenge } from './steps/continue-challenge.js';
import { acceptAppPassword } from './steps/accept-app-password.js';
import { splitOneField } from './steps/split-one-field.js';
import { checkPassword } from './steps/check-password.js';
import { beginChallenge } from './steps/begin-challenge.js';

export const ACCESS_REQUEST_STEPS: readonly Step[] = [
  readRequest, //                framing and attributes; malformed → dropped
  identifyClient, //             a configured client's address; unknown → dropped, logged
  checkMessageAuthenticator, //  required by default (BlastRADIUS), verified when present
  answerDuplicate, //            a retransmission gets the cached reply, never processed twice
  requirePap, //                 User-Name + User-Password (PAP), decoded with the client's secret
  continueChallenge, //          State → the code goes to the challenge engine
  acceptAppPassword, //          an app password, where the client allows them: the whole sign-in
  splitOneField, //              "password,code" for clients without challenges
  checkPassword, //              the directory, with regulation
  beginChallenge, //             the second factor: Access-Challenge, or the one-field code checked
];

/** The reply to send for this datagram, or null to send nothing. */
export async function handleDatagram(deps: ExchangeDeps, datagram: Buffer, from: { address: string; port: number }): Promise<Buffer | null> {
  const x = new Exchange(deps, datagram, from);
  let reply: Buffer | null = null;
  try {
    let result: 'next' | 'drop' | 'answered' = 'next';
    for (const step of ACCESS_REQUEST_STEPS) {
      result = await step(x);
      if (result !== 'next') break;
    }
    if (result === 'answered') {
      reply = x.resent ?? (x.reply ? writeReply(x.request, x.reply.code, x.reply.attributes, x.client.config.secret) : null);
    }
  } catch (err) {
    deps.log.error({ err, from: `${from.address}:${from.port}`, client: x.client?.config.name }, 'RADIUS request failed; dropped');
    reply = null;
  }
  if (x.duplicateKey) deps.duplicates.settle(x.duplicateKey, reply, deps.host.clock.now());
  return reply;
}
