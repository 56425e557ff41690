/**
 * Primary authentication by password, for every path that takes one (the `/login` page, a
 * RADIUS Access-Request): regulation first (a refused try costs no bind and no hash), then the
 * directory, then the user record refreshed from it. One verdict, audited with its reason under
 * the `primary` event; the caller shows one neutral message whatever the reason.
 */
import type { Directory } from '../directory/directory.js';
import type { AuditApi, PasswordCheck, PasswordCheckInput, RegulationApi, UserApi } from '../api/host-api.js';
import { FactorgateError } from '../kit/errors.js';

export interface PasswordCheckDeps {
  directory: Directory;
  users: UserApi;
  audit: AuditApi;
  regulation: RegulationApi;
  /** `directory.outsideGroup` (LDAP): what a user outside the MFA group meets. */
  outsideGroup: 'deny' | 'allow';
}

export async function checkPrimaryPassword(deps: PasswordCheckDeps, input: PasswordCheckInput): Promise<PasswordCheck> {
  const { username, password, clientIp, adapter, relyingParty } = input;
  const fail = async (reason: Exclude<Extract<PasswordCheck, { ok: false }>['reason'], 'RATE_LIMITED'>): Promise<PasswordCheck> => {
    await deps.audit.record({ event: 'primary', result: 'failure', username, method: 'password', denyReason: reason, adapter, relyingParty, clientIp });
    return { ok: false, reason };
  };
  if (username === '' || password === '') return fail(username === '' ? 'EMPTY_USERNAME' : 'EMPTY_PASSWORD');
  // The same answer whether the account exists, is locked for second factors, or not.
  const admission = await deps.regulation.admit({ username, clientIp, event: input.event ?? 'primary', adapter, relyingParty });
  if (!admission.admitted) return { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: admission.retryAfterSeconds };
  let result;
  try {
    result = await deps.directory.authenticate(username, password);
  } catch (err) {
    await admission.abandoned();
    await deps.audit.record({
      event: 'primary',
      result: 'failure',
      username,
      method: 'password',
      denyReason: err instanceof FactorgateError ? err.code : 'DIRECTORY_ERROR',
      adapter,
      relyingParty,
      clientIp,
    });
    throw err;
  }
  if (!result.ok) {
    await admission.failed();
    return fail(result.reason);
  }
  // Outside the directory's MFA group (issue 26 item 8) under `deny`: stored disabled, as the
  // import stores users the group leaves out, so no other door (the bridge, the portal) opens
  // through this row; the challenge says why. Under `allow` the user may sign in.
  const outside = result.user.outsideMfaGroup === true;
  const outsideDenied = outside && deps.outsideGroup !== 'allow';
  const user = await deps.users.upsertFromDirectory(outsideDenied ? { ...result.user, disabled: true } : result.user, deps.directory.kind);
  if (user.disabled && !outsideDenied) {
    await admission.failed();
    return fail('USER_DISABLED');
  }
  await admission.succeeded();
  await deps.audit.record({ event: 'primary', result: 'success', user, method: 'password', adapter, relyingParty, clientIp });
  return { ok: true, user, outsideMfaGroup: outside, directoryUser: result.user };
}
