/**
 * The host's own handles (the store, the whole configuration, the host-wide secret box) beside
 * the services adapters share: what the composition and tests use. Never handed to an adapter:
 * adapters get their own view (adapter-host-api.ts), which has none of these.
 */
import type { HostApi, SharedHostServices } from '../api/host-api.js';
import type { HostConfig } from '../config/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import type { Store } from '../store/store.js';

export interface HostInternals extends SharedHostServices {
  readonly db: HostApi['db'];
  readonly state: HostApi['state'];
  readonly config: Readonly<HostConfig>;
  readonly store: Store;
  readonly secrets: SecretBox;
}
