/**
 * The running embed adapter: its routes (`/start`, `/jwks.json`), the flow and its signing keys.
 * Loaded by index.ts only when `adapters.embed` is configured (jose comes with it).
 */
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { EmbedClients } from './clients.js';
import type { EmbedConfig } from './config.js';
import { jwks, resume, start, type FlowDeps } from './flow.js';
import { ADAPTER_NAME, MOUNT_PATH } from './names.js';
import { SigningKeys, type EmbedTables } from './signing-keys.js';

export function startEmbed(host: HostApi<EmbedTables>, config: EmbedConfig): AdapterInstance {
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
