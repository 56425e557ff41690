/**
 * Loads the configuration together with the adapters it names under `plugins:`. Plugins are
 * imported first (their sections cannot be validated without their schemas), then registered
 * after the built-ins through the same registry checks; every refusal becomes a configuration
 * problem naming the file, the key (`plugins[1]`), the code and the package, reported in the same
 * run as every other problem of the file.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import type { AdapterDefinition } from '../../api/host-api.js';
import { AdapterError, AdapterRegistry } from '../adapter-registry.js';
import { ConfigError, loadConfig, resolveConfigFile, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { importPlugin } from './import-plugin.js';

export interface LoadWithPluginsOptions extends Omit<LoadOptions, 'adapters'> {
  /** The adapters this build ships; they register first. */
  builtins: readonly AdapterDefinition[];
}

/** The `plugins:` list as written; anything malformed is left for the schema to report. */
function pluginList(file: string): string[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const list = doc !== null && typeof doc === 'object' ? (doc as { plugins?: unknown }).plugins : undefined;
  return Array.isArray(list) ? list.map((p) => (typeof p === 'string' ? p : '')) : [];
}

export async function loadConfigWithPlugins(options: LoadWithPluginsOptions): Promise<LoadedConfig> {
  const registry = new AdapterRegistry();
  for (const def of options.builtins) registry.register(def);

  const file = resolveConfigFile(options);
  const problems: string[] = [];
  const specs = file ? pluginList(file) : [];
  for (const [i, spec] of specs.entries()) {
    if (spec === '') continue;
    try {
      registry.register((await importPlugin(spec, dirname(file!))) as AdapterDefinition, spec);
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      problems.push(`${file}: plugins[${i}]: ${err.message}`);
    }
  }

  try {
    const loaded = loadConfig({ ...options, adapters: registry.all });
    if (problems.length) throw new ConfigError(problems);
    return loaded;
  } catch (err) {
    if (err instanceof ConfigError && problems.length) {
      throw new ConfigError([...problems, ...err.problems.filter((p) => !problems.includes(p))]);
    }
    throw err;
  }
}
