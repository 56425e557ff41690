/** What every CLI command gets: its arguments, output streams, and a way to load the config. */
import type { LoadedConfig } from '../host/config/load.js';
import { loadConfigWithPlugins } from '../host/plugins/load-config-with-plugins.js';
import { builtinAdapters } from '../../adapters/index.js';

export interface CliContext {
  args: string[];
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

/** A usage or input error: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** The configuration, with the built-in adapters and the plugins it names (`plugins:`). */
export function loadCliConfig(configPath: string | undefined): Promise<LoadedConfig> {
  return loadConfigWithPlugins({ configPath, builtins: builtinAdapters });
}
