/**
 * App passwords (issue 19) as a primary and only factor, for clients that cannot show a
 * challenge (a VPN client without Access-Challenge). Regulated like a password: the try is
 * admitted first, a wrong one counts. Only app passwords scoped to the asking adapter match.
 */
import type { AppPasswordCheck, AppPasswordCheckInput, AuditApi, RegulationApi, UserApi } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import { APP_PASSWORD_SCOPES, type AppPasswords, type AppPasswordScope } from '../users/app-passwords.js';

export interface AppPasswordCheckDeps {
  users: UserApi;
  audit: AuditApi;
  regulation: RegulationApi;
  appPasswords: AppPasswords;
  clock: Clock;
}

const isScope = (s: string): s is AppPasswordScope => (APP_PASSWORD_SCOPES as readonly string[]).includes(s);

export async function checkAppPassword(deps: AppPasswordCheckDeps, input: AppPasswordCheckInput): Promise<AppPasswordCheck> {
  const { username, password, clientIp, adapter, relyingParty } = input;
  if (!isScope(adapter)) throw new Error(`adapter ${adapter} is not an app-password scope (APP_PASSWORD_SCOPES)`);
  const base = { event: 'app-password', username, method: 'app-password', adapter, relyingParty, clientIp } as const;
  if (username === '' || password === '') return { ok: false, reason: 'INVALID_CREDENTIALS' };
  const admission = await deps.regulation.admit({ username, clientIp, event: 'app-password', adapter, relyingParty });
  if (!admission.admitted) return { ok: false, reason: 'RATE_LIMITED', retryAfterSeconds: admission.retryAfterSeconds };
  const user = await deps.users.findByUsername(username);
  const match = user && !user.disabled ? await deps.appPasswords.verify(user.id, password, adapter, deps.clock.now()) : null;
  if (!user || !match) {
    await admission.failed();
    const reason = user?.disabled ? 'USER_DISABLED' : 'INVALID_CREDENTIALS';
    await deps.audit.record({ ...base, result: 'failure', user, denyReason: reason });
    return { ok: false, reason };
  }
  await admission.succeeded();
  await deps.audit.record({ ...base, result: 'success', user, deviceToken: match.id, detail: `app password "${match.name}"` });
  return { ok: true, user, name: match.name };
}
