/**
 * The forward-auth adapter: factorgate as the authorisation service behind a reverse proxy
 * (nginx `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`), with Authelia's header
 * conventions so existing snippets work. `GET /forward-auth/verify` answers 200 with Remote-*
 * headers for a browser holding a forward-auth session that the host's rule accepts, 401/302
 * otherwise; `/forward-auth/login?rd=` signs the browser in through `/login` and the challenge.
 * See README.md in this folder.
 *
 * This file is what every start registers; the adapter itself (instance.ts) is imported only
 * when it is configured.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { forwardAuthConfigSchema, type ForwardAuthConfig } from './config.js';
import { MOUNT_PATH } from './names.js';
import { ADAPTER_NAME } from './sign-in.js';

export { forwardAuthConfigSchema, type ForwardAuthConfig } from './config.js';
export { MOUNT_PATH } from './names.js';

export const forwardAuthAdapter: AdapterDefinition<ForwardAuthConfig> = {
  name: ADAPTER_NAME,
  configKey: 'forwardAuth',
  mountPath: MOUNT_PATH,
  hostApi: '^2.2',
  configSchema: forwardAuthConfigSchema,
  apps: (config) => config.rules.map((r) => r.host),
  /** Creates the running adapter; its modules load at this first call. */
  async create(host, config) {
    const { startForwardAuth } = await import('./instance.js');
    return startForwardAuth(host, config);
  },
};
export default forwardAuthAdapter;
