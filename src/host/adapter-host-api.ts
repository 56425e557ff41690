/**
 * Each adapter's own view of the host (HostApi 2.0): the services every adapter shares, plus
 * what is made for it alone: a database handle that reaches only its tables, keyed state under
 * its name, and a secret box under its own subkeys. Built from the shared services only, never
 * from the host's internals, so no raw store, configuration or host-wide box reaches an adapter
 * at run time either (a plugin written in plain JavaScript sees no more than the types say).
 */
import type { Kysely } from 'kysely';
import type { AdapterDefinition, HostApi, SharedHostServices } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import type { Database } from '../store/schema.js';
import type { KeyEncryptionKey, SecretBox } from '../store/secret-box.js';
import { OwnTablesOnly } from '../store/adapter/own-tables-only.js';
import { keyedState } from '../store/adapter/keyed-state.js';
import { adapterSecrets } from '../store/adapter/adapter-secrets.js';

export interface AdapterViewDeps {
  shared: SharedHostServices;
  storeDb: Kysely<Database>;
  ring: readonly KeyEncryptionKey[];
  hostBox: SecretBox;
  clock: Clock;
}

export function adapterHostApi(def: Pick<AdapterDefinition, 'name'>, deps: AdapterViewDeps): HostApi<unknown> {
  // `shared` is typed SharedHostServices, built as an object literal in the host: nothing else
  // can be in it (a service added to HostApi is added there, and reaches every adapter).
  return Object.freeze({
    ...deps.shared,
    db: (deps.storeDb as Kysely<unknown>).withPlugin(new OwnTablesOnly(def.name)),
    state: keyedState(deps.storeDb, def.name, deps.clock),
    secrets: adapterSecrets(deps.ring, deps.hostBox, def.name, deps.clock),
  });
}
