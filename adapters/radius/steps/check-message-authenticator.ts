import { checkRequestMessageAuthenticator } from '../wire/message-authenticator.js';
import type { Step } from '../exchange.js';

/**
 * RFC 3579 §3.2 and BlastRADIUS (CVE-2024-3596): a Message-Authenticator, when present, must
 * verify (else: a wrong shared secret or a forgery, discarded); when the client requires one
 * (the default), a request without it is discarded before anything else is looked at.
 */
export const checkMessageAuthenticator: Step = async (x) => {
  const verdict = checkRequestMessageAuthenticator(x.request.framed, x.client.secret);
  if (verdict === 'valid') return 'next';
  if (verdict === 'absent' && !x.client.config.requireMessageAuthenticator) return 'next';
  const reason = verdict === 'absent' ? 'MESSAGE_AUTHENTICATOR_MISSING' : 'MESSAGE_AUTHENTICATOR_INVALID';
  x.deps.logOnce(
    x.from.address,
    reason,
    { from: `${x.from.address}:${x.from.port}`, client: x.client.config.name, reason },
    verdict === 'absent' ? 'RADIUS request without Message-Authenticator dropped (required for this client: BlastRADIUS)' : 'RADIUS request with a wrong Message-Authenticator dropped (wrong shared secret, or tampered)',
  );
  return 'drop';
};
