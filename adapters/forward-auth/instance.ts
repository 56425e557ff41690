/**
 * The running forward-auth adapter: host rules, sessions and the `/verify`, `/login` and
 * `/logout` routes. Loaded by index.ts only when `adapters.forwardAuth` is configured.
 */
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import type { ForwardAuthConfig } from './config.js';
import { MOUNT_PATH } from './names.js';
import { HostRules } from './rules.js';
import { ForwardSessions } from './sessions.js';
import { ADAPTER_NAME, login, logout, resume, type SignInDeps } from './sign-in.js';
import { TrustedProxies } from './target.js';
import { verify, type VerifyDeps } from './verify.js';

export function startForwardAuth(host: HostApi, config: ForwardAuthConfig): AdapterInstance {
  const logger = host.logger.child({ adapter: ADAPTER_NAME });
  const rules = new HostRules(config.rules);
  const sessions = new ForwardSessions(host, {
    name: config.cookieName,
    domain: config.cookieDomain,
    secure: host.publicUrl.startsWith('https:'),
    lifetimeMs: durationToMs(config.sessionLifetime),
  });
  const signIn: SignInDeps = { host: { ...host, logger }, rules, sessions };
  const verifyDeps: VerifyDeps = { proxies: new TrustedProxies(config.trustedProxies), rules, sessions, loginUrl: `${host.publicUrl}${MOUNT_PATH}/login`, logger, users: host.users };
  return {
    routes(router) {
      router.get('/verify', (req, res) => verify(verifyDeps, req, res));
      router.head('/verify', (req, res) => verify(verifyDeps, req, res));
      router.get('/login', (req, res) => login(signIn, req, res));
      router.get('/logout', (req, res) => logout(signIn, req, res));
    },
    resume: (outcome, req, res) => resume(signIn, outcome, req, res),
  };
}
