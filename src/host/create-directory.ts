/** Builds the configured directory. */
import type { Logger } from 'pino';
import type { Directory } from '../directory/directory.js';
import type { HostConfig } from '../config/schema.js';
import type { Clock } from '../kit/clock.js';
import { FileDirectory } from '../directory/file/file-directory.js';
import { LdapDirectory } from '../directory/ldap/ldap-directory.js';

export function createDirectory(config: HostConfig['directory'], deps: { logger?: Logger; clock?: Clock } = {}): Directory {
  switch (config.type) {
    case 'file':
      return new FileDirectory(config.path, { logger: deps.logger });
    case 'ldap':
      return LdapDirectory.fromConfig(config, deps);
  }
}
