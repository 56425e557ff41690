/**
 * The embed adapter: the server side of `factorgate/express`. An app that signed its user in
 * sends the browser to `GET /embed/start?token=<signed request>`; factorgate checks the request
 * and the user, runs the challenge, and sends the browser back with a signed, short-lived,
 * audience-bound result that the app verifies against `GET /embed/jwks.json`. (`/mfa/:id` is the
 * challenge page, so the entry lives under `/embed`.) See README.md in this folder.
 */
import type { AdapterDefinition, AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { EmbedClients } from './clients.js';
import { embedConfigSchema, type EmbedConfig } from './config.js';
import { ADAPTER_NAME, jwks, resume, start, type FlowDeps } from './flow.js';
import * as signingKeysMigration from './migrations/001-signing-keys.js';
import { SigningKeys, signingKeyContext, type EmbedTables } from './signing-keys.js';

export { embedConfigSchema, type EmbedConfig } from './config.js';

export const MOUNT_PATH = '/embed';

export function createEmbed(host: HostApi<EmbedTables>, config: EmbedConfig): AdapterInstance {
  const logger = host.logger.child({ adapter: ADAPTER_NAME });
  const deps: FlowDeps = {
    host: { ...host, logger },
    clients: new EmbedClients(config.clients),
    issuer: `${host.publicUrl}${MOUNT_PATH}`,
    requestMaxAgeMs: durationToMs(config.requestMaxAge),
    keys: new SigningKeys(host.db, host.secrets, host.clock, durationToMs(config.signingKeyLifetime)),
    resultLifetimeMs: durationToMs(config.resultLifetime),
  };
  return {
    routes(router) {
      router.get('/start', (req, res) => start(deps, req, res));
      router.get('/jwks.json', (req, res) => jwks(deps, req, res));
    },
    resume: (outcome, req, res) => resume(deps, outcome, req, res),
  };
}

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
  create: createEmbed,
};
export default embedAdapter;
