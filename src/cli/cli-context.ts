/** What every CLI command gets: its arguments, output streams, and a way to load the config. */
import { loadConfig, type LoadedConfig } from '../host/config/load.js';
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

export function loadCliConfig(configPath: string | undefined): LoadedConfig {
  return loadConfig({ configPath, adapters: builtinAdapters });
}
