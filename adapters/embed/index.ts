/**
 * The embed adapter: the server side of `factorgate/express`. An app that signed its user in
 * sends the browser to `GET /embed/start?token=<signed request>`; factorgate checks the request
 * and the user, runs the challenge, and sends the browser back with a signed, short-lived,
 * audience-bound result that the app verifies against `GET /embed/jwks.json`. (`/mfa/:id` is the
 * challenge page, so the entry lives under `/embed`.) See README.md in this folder.
 */
import type { AdapterDefinition } from '../../src/sdk/adapter.js';
import { embedConfigSchema, type EmbedConfig } from './config.js';
import * as signingKeysMigration from './migrations/001-signing-keys.js';
import { ADAPTER_NAME, MOUNT_PATH } from './names.js';
import { signingKeyContext, type EmbedTables } from './signing-keys.js';

export { embedConfigSchema, type EmbedConfig } from './config.js';
export { MOUNT_PATH } from './names.js';

export const embedAdapter: AdapterDefinition<EmbedConfig, EmbedTables> = {
  name: ADAPTER_NAME,
  configKey: 'embed',
  mountPath: MOUNT_PATH,
  hostApi: '^2.0',
  configSchema: embedConfigSchema,
  migrations: { '001-signing-keys': signingKeysMigration },
  expiry: [{ table: 'embed_signing_keys', column: 'expires_at' }],
  sealedColumns: [{ table: 'embed_signing_keys', key: 'kid', column: 'private_key', context: (row) => signingKeyContext(String(row.kid)) }],
  apps: (config) => config.clients.map((c) => c.id),
  /** Creates the running adapter; its modules (flow, result tokens, jose) load at this first call, so a host without it never loads them. */
  async create(host, config) {
    const { startEmbed } = await import('./instance.js');
    return startEmbed(host, config);
  },
};
export default embedAdapter;
