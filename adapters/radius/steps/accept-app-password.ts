import { CODE } from '../wire/packet-format.js';
import { acceptAttributes } from '../accept-attributes.js';
import { ADAPTER_NAME, type Step } from '../exchange.js';
import { reject } from './replies.js';
import { memberOf } from './check-password.js';
import { matchedGroups } from '../accept-attributes.js';

/** App passwords are 20 letters and digits in five dashed groups (src/users/app-passwords.ts). */
const APP_PASSWORD_SHAPE = /^[a-z0-9]{4}([- ]?[a-z0-9]{4}){4}$/i;

/**
 * Issue 19: where the client allows it, an app password (scope radius) is the whole sign-in,
 * for clients that can show no challenge. It is recognised by its shape and checked (with
 * regulation) instead of the directory password; it never falls back to the directory.
 */
export const acceptAppPassword: Step = async (x) => {
  if (!x.client.config.appPasswords || !APP_PASSWORD_SHAPE.test(x.password)) return 'next';
  const r = await x.deps.host.passwords.checkAppPassword({ username: x.username, password: x.password, clientIp: x.clientIp, adapter: ADAPTER_NAME, relyingParty: x.client.config.name });
  if (!r.ok) {
    x.log.warn({ userName: x.username, reason: r.reason }, 'RADIUS Access-Reject: app password refused');
    return reject(x);
  }
  const entry = x.client.config.groupAttributes.length > 0 ? await x.deps.host.directory.find(r.user.username) : null;
  x.groups = matchedGroups(x.client.config, memberOf(entry?.attributes));
  x.log.info({ userName: x.username, appPassword: r.name }, 'RADIUS Access-Accept: app password');
  x.reply = { code: CODE.ACCESS_ACCEPT, attributes: acceptAttributes(x.client.config, x.groups) };
  return 'answered';
};
