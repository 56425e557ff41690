/**
 * The adapter registry. Like fastify's plugin checks: before an adapter loads, its name, config
 * key and mount path must be unique, its path must not shadow the host's own routes or another
 * adapter's, and the host API version it asks for must be the one offered. Each adapter gets its
 * own router mounted at its own prefix, so it cannot overwrite another's routes.
 */
import type { AdapterDefinition } from './host-api.js';
import { HOST_API_VERSION } from './host-api.js';

export const RESERVED_PATHS = ['/login', '/logout', '/mfa', '/healthz', '/readyz', '/metrics', '/static', '/portal'];

function major(version: string): number {
  return Number(version.split('.')[0]);
}

/** Supports the caret form of a major range: `^1`, `^1.0`, `^1.0.0`. */
export function acceptsHostApi(range: string, version = HOST_API_VERSION): boolean {
  const m = /^\^(\d+)(?:\.\d+){0,2}$/.exec(range.trim());
  return m !== null && Number(m[1]) === major(version);
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

export class AdapterRegistry {
  readonly #defs: AdapterDefinition[] = [];

  register(def: AdapterDefinition): void {
    if (!/^[a-z][a-z0-9-]{1,40}$/.test(def.name)) throw new Error(`adapter name "${def.name}" must be lower-case letters, digits and -`);
    if (def.name === 'host') throw new Error('adapter name "host" is reserved');
    if (!/^\/[a-z0-9][a-z0-9/_-]*$/.test(def.mountPath) || def.mountPath.endsWith('/')) {
      throw new Error(`adapter ${def.name}: mountPath "${def.mountPath}" must look like /name or /name/part`);
    }
    if (!acceptsHostApi(def.hostApi)) {
      throw new Error(`adapter ${def.name} needs host API ${def.hostApi}; this host offers ${HOST_API_VERSION}`);
    }
    for (const reserved of RESERVED_PATHS) {
      if (overlaps(def.mountPath, reserved)) throw new Error(`adapter ${def.name}: mountPath ${def.mountPath} overlaps the host's ${reserved}`);
    }
    for (const other of this.#defs) {
      if (other.name === def.name) throw new Error(`adapter name "${def.name}" is registered twice`);
      if (other.configKey === def.configKey) throw new Error(`adapters ${other.name} and ${def.name} both claim config key ${def.configKey}`);
      if (overlaps(other.mountPath, def.mountPath)) {
        throw new Error(`adapter ${def.name}: mountPath ${def.mountPath} overlaps ${other.name}'s ${other.mountPath}`);
      }
    }
    this.#defs.push(def);
  }

  get all(): readonly AdapterDefinition[] {
    return this.#defs;
  }
}
