import { AdapterRegistry } from '../adapter-registry.js';
import type { StartStep } from './start-context.js';

/** Every adapter passes the registry's checks (unique name, key and mount path; API range) before anything is touched. */
export const registerAdapters: StartStep = (ctx) => {
  ctx.registry = new AdapterRegistry();
  for (const def of ctx.definitions) ctx.registry.register(def);
};
