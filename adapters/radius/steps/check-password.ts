import { isFactorgateError } from '../../../src/sdk/adapter.js';
import { matchedGroups } from '../accept-attributes.js';
import { ADAPTER_NAME, type Step } from '../exchange.js';
import { reject } from './replies.js';

/** The directory's group memberships, as the LDAP directory and the users file report them. */
export function memberOf(attributes: Readonly<Record<string, readonly string[]>> | undefined): string[] {
  if (!attributes) return [];
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === 'memberof');
  return key ? [...attributes[key]!] : [];
}

/**
 * The password against the directory, with the regulation of primary authentication (the
 * same check as `/login`): refused, wrong, disabled → Access-Reject, audited by the host.
 */
export const checkPassword: Step = async (x) => {
  let r;
  try {
    r = await x.deps.host.passwords.check({ username: x.username, password: x.password, clientIp: x.clientIp, adapter: ADAPTER_NAME, relyingParty: x.client.config.name });
  } catch (err) {
    // No verdict (directory down, password checks saturated): no answer, so the client
    // retransmits or fails over to its next server, instead of a false Access-Reject.
    if (isFactorgateError(err) && (err.code === 'DIRECTORY_UNAVAILABLE' || err.code === 'BUSY')) {
      x.log.warn({ userName: x.username, reason: err.code }, 'no verdict on the password: RADIUS request left unanswered');
      return 'drop';
    }
    throw err;
  }
  if (!r.ok) {
    x.log.warn({ userName: x.username, reason: r.reason }, 'RADIUS Access-Reject: primary authentication failed');
    return reject(x);
  }
  x.user = r.user;
  x.outsideMfaGroup = r.outsideMfaGroup;
  x.groups = matchedGroups(x.client.config, memberOf(r.directoryUser.attributes));
  return 'next';
};
