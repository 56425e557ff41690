/**
 * The WS-Federation adapter: factorgate as a WS-Federation passive identity provider (the part
 * AD FS played for Microsoft 365 federated domains and SharePoint). Realms send users to
 * `/wsfed`; they sign in at `/login`, pass the challenge, and return with a signed SAML 1.1
 * token posted to the realm's reply URL. See README.md in this folder.
 *
 * Its own adapter rather than a binding of the SAML IdP: the protocol shares nothing with SAML
 * 2.0 requests (no AuthnRequest, no bindings, plain query parameters, SAML 1.1 tokens) beyond
 * the signing keys and the core emitter, which both reach through the SDK; a separate adapter
 * keeps each one's checks, configuration and sessions readable, and lets either run alone.
 *
 * This file is what every start registers; the adapter itself (instance.ts, with the demo
 * relying party's XML signature stack) is imported only when it is configured.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { wsFedConfigSchema, type WsFedConfig } from './config.js';
import { ADAPTER_NAME, MOUNT_PATH } from './session-data.js';

export { wsFedConfigSchema, type WsFedConfig } from './config.js';
export { MOUNT_PATH } from './session-data.js';

export const wsFedAdapter: AdapterDefinition<WsFedConfig> = {
  name: ADAPTER_NAME,
  configKey: 'wsFed',
  // 2.0 (1.4 added the SAML 1.1 / WS-Federation emitters in the SDK).
  hostApi: '^2.2',
  configSchema: wsFedConfigSchema,
  mountPath: MOUNT_PATH,
  /** Creates the running adapter; its modules load at this first call. */
  async create(host, config) {
    const { startWsFed } = await import('./instance.js');
    return startWsFed(host, config);
  },
  demoConfig: () => ({ demoRelyingParty: true }),
};
