/**
 * The SAML bridge adapter (the AD FS adapter's role): relying parties of the SAML IdP adapter
 * configured with `primary: upstream:<name>` send their users through an upstream IdP first;
 * its Response comes back to `/saml/bridge/acs`, factorgate adds the second factor, and the
 * relying party gets factorgate's assertion with the upstream subject and attributes. The
 * bridge registers each upstream as a primary provider; it never imports the IdP adapter.
 *
 * This file is what every start registers (schema, table, sweeps, sealed column, connect
 * checks); the bridge itself (instance.ts) is imported only when it is configured.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { samlBridgeConfigSchema, type SamlBridgeConfig } from './config.js';
import { samlBridgeConnectChecks } from './connect-checks.js';
import * as requestsMigration from './migrations/001-requests.js';
import { ADAPTER_NAME, MOUNT_PATH } from './names.js';
import { bridgeRequestContext, type BridgeTables } from './outstanding-requests.js';

export { samlBridgeConfigSchema, type SamlBridgeConfig } from './config.js';
export { MOUNT_PATH } from './names.js';

export const samlBridgeAdapter: AdapterDefinition<SamlBridgeConfig, BridgeTables> = {
  name: ADAPTER_NAME,
  configKey: 'samlBridge',
  hostApi: '^2.0',
  configSchema: samlBridgeConfigSchema,
  mountPath: MOUNT_PATH,
  /** Creates the running bridge; its modules load at this first call. */
  async create(host, config) {
    const { startSamlBridge } = await import('./instance.js');
    return startSamlBridge(host, config);
  },
  migrations: { '001-requests': requestsMigration },
  expiry: [{ table: 'saml_bridge_requests', column: 'expires_at' }],
  sealedColumns: [{ table: 'saml_bridge_requests', key: 'id', column: 'payload_enc', context: (row) => bridgeRequestContext(String(row.id)) }],
  // The bridge signs users in for other adapters' relying parties; it serves no app of its own.
  apps: () => [],
  primaries: { provides: (config) => config.upstreams.map((u) => `upstream:${u.name}`) },
  connectChecks: samlBridgeConnectChecks,
};
