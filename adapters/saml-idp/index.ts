/**
 * The SAML IdP adapter: factorgate as a SAML 2.0 identity provider. Relying parties send users
 * to `/saml/idp/sso`; they sign in at `/login`, pass the challenge, and return with a signed
 * Response. See README.md in this folder for a worked configuration, AD FS and Entra ID.
 *
 * This file is what every start registers (name, schema, connect checks); the IdP itself
 * (instance.ts) is imported only when the adapter is configured.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { samlIdpConnectChecks } from './connect-checks.js';
import { samlIdpConfigSchema, type SamlIdpConfig } from './config.js';
import { ADAPTER_NAME, MOUNT_PATH } from './session-data.js';

export { samlIdpConfigSchema, type SamlIdpConfig } from './config.js';
export { MOUNT_PATH } from './session-data.js';
export type { SamlIdpInstance } from './instance.js';

export const samlIdpAdapter: AdapterDefinition<SamlIdpConfig> = {
  name: ADAPTER_NAME,
  configKey: 'samlIdp',
  hostApi: '^2.2',
  configSchema: samlIdpConfigSchema,
  mountPath: MOUNT_PATH,
  /** Creates the running IdP; its modules load at this first call. */
  async create(host, config) {
    const { startSamlIdp } = await import('./instance.js');
    return startSamlIdp(host, config);
  },
  primaries: {
    requires: (config) => config.relyingParties.map((rp, i) => ({ path: `relyingParties[${i}].primary`, provider: rp.primary })).filter((r) => r.provider !== 'password'),
  },
  apps: (config) => [...config.relyingParties.map((rp) => rp.name), ...(config.demoRelyingParty ? ['demo-rp'] : [])],
  demoConfig: () => ({ demoRelyingParty: true }),
  connectChecks: samlIdpConnectChecks,
};
