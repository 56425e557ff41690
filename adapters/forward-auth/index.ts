/**
 * The forward-auth adapter: factorgate as the authorisation service behind a reverse proxy
 * (nginx `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`), with Authelia's header
 * conventions so existing snippets work. `GET /forward-auth/verify` answers 200 with Remote-*
 * headers for a browser holding a forward-auth session that the host's rule accepts, 401/302
 * otherwise; `/forward-auth/login?rd=` signs the browser in through `/login` and the challenge.
 * See README.md in this folder.
 */
import type { AdapterDefinition, AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { forwardAuthConfigSchema, type ForwardAuthConfig } from './config.js';
import { HostRules } from './rules.js';
import { ForwardSessions } from './sessions.js';
import { ADAPTER_NAME, login, logout, resume, type SignInDeps } from './sign-in.js';
import { TrustedProxies } from './target.js';
import { verify, type VerifyDeps } from './verify.js';

export { forwardAuthConfigSchema, type ForwardAuthConfig } from './config.js';

export const MOUNT_PATH = '/forward-auth';

export function createForwardAuth(host: HostApi, config: ForwardAuthConfig): AdapterInstance {
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

export const forwardAuthAdapter: AdapterDefinition<ForwardAuthConfig> = {
  name: ADAPTER_NAME,
  configKey: 'forwardAuth',
  mountPath: MOUNT_PATH,
  hostApi: '^2.0',
  configSchema: forwardAuthConfigSchema,
  apps: (config) => config.rules.map((r) => r.host),
  create: createForwardAuth,
};
export default forwardAuthAdapter;
