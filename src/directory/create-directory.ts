/** Builds the configured directory. */
import type { Directory } from './directory.js';
import type { HostConfig } from '../host/config/schema.js';
import { FileDirectory } from './file/file-directory.js';

export function createDirectory(config: HostConfig['directory']): Directory {
  switch (config.type) {
    case 'file':
      return new FileDirectory(config.path);
  }
}
