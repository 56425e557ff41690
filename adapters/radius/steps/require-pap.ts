import { decodeUserPassword } from '../wire/user-password.js';
import { reject } from './replies.js';
import type { Step } from '../exchange.js';

/**
 * PAP only (RFC 2865 §5.2): the directory needs the clear password, which CHAP and EAP never
 * carry. An Access-Request without User-Name or User-Password, with CHAP or EAP, or whose
 * User-Password cannot be one, is rejected and logged.
 */
export const requirePap: Step = async (x) => {
  const r = x.request;
  const why = r.unsupported ? `${r.unsupported}_UNSUPPORTED` : !r.userName ? 'NO_USER_NAME' : !r.userPasswordCipher ? 'NO_USER_PASSWORD' : null;
  const password = why ? null : decodeUserPassword(r.userPasswordCipher!, x.client.secret, r.authenticator);
  if (why || password === null) {
    x.log.warn({ reason: why ?? 'BAD_USER_PASSWORD', userName: r.userName }, 'RADIUS request rejected: not a PAP request this server can check');
    return reject(x);
  }
  x.password = password;
  return 'next';
};
