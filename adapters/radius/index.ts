/**
 * The RADIUS adapter (RFC 2865, PAP with Access-Challenge; RFC 3579 Message-Authenticator):
 * VPN concentrators, RD Gateway (through NPS) and network devices send the user's password,
 * factorgate checks it against the directory, then asks for the second factor with an
 * Access-Challenge, or takes `password,code` in one field, or an app password. The second
 * factor goes through the host's challenge engine on its headless channel: the same lockout,
 * factors, audit and metrics as the page. See README.md.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { radiusConfigSchema, type RadiusConfig } from './config.js';
import { ADAPTER_NAME } from './exchange.js';
import { demoSecret } from './demo-secret.js';

export { radiusConfigSchema, type RadiusConfig } from './config.js';
export { ADAPTER_NAME } from './exchange.js';
export type { RadiusInstance } from './instance.js';

export const radiusAdapter: AdapterDefinition<RadiusConfig> = {
  name: ADAPTER_NAME,
  configKey: 'radius',
  hostApi: '^2.2',
  configSchema: radiusConfigSchema,
  mountPath: '/radius',
  /** Starts the RADIUS server; its modules (instance.ts and the wire code) load at this first call, so a host without RADIUS never loads them. */
  async create(host, config) {
    const { startRadius } = await import('./instance.js');
    return startRadius(host, config);
  },
  demoConfig(ctx) {
    return {
      listen: { host: '127.0.0.1', port: 1812, required: false },
      clients: [{ name: 'demo', addresses: ['127.0.0.1'], secret: demoSecret(ctx.dataDir), demo: true, requireMessageAuthenticator: true }],
    };
  },
};

export default radiusAdapter;
