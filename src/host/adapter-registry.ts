/**
 * The adapter registry. Like fastify's plugin checks: before an adapter loads, its shape, name,
 * config key and mount path are checked, its path must not shadow the host's own routes or
 * another adapter's, and the host API range it declares (a semver range: `^1.2`, `>=1.1 <2`)
 * must accept the version offered. Built-in adapters and plugins (`plugins:` in the
 * configuration) pass the same checks; each refusal is an AdapterError with a stable
 * `FG_ERR_ADAPTER_*` code naming where the adapter came from. Each adapter gets its own router
 * mounted at its own prefix, so it cannot overwrite another's routes.
 */
// The two functions used, not the package's index (which loads its ≈ 50 modules at start-up).
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import type { AdapterDefinition } from '../api/host-api.js';
import { HOST_API_VERSION } from '../api/host-api.js';

export const RESERVED_PATHS = ['/login', '/logout', '/mfa', '/healthz', '/readyz', '/metrics', '/static', '/portal', '/admin', '/fraud', '/sms'];

export type AdapterErrorCode =
  /** The package or file named under `plugins:` cannot be found. */
  | 'FG_ERR_ADAPTER_NOT_FOUND'
  /** Importing the module threw. */
  | 'FG_ERR_ADAPTER_IMPORT'
  /** The module exports no AdapterDefinition (default export or named `adapter`), or a malformed one. */
  | 'FG_ERR_ADAPTER_EXPORT'
  | 'FG_ERR_ADAPTER_NAME'
  | 'FG_ERR_ADAPTER_DUPLICATE_NAME'
  | 'FG_ERR_ADAPTER_CONFIG_KEY'
  | 'FG_ERR_ADAPTER_MOUNT_PATH'
  | 'FG_ERR_ADAPTER_RESERVED_PATH'
  | 'FG_ERR_ADAPTER_HOST_API';

export class AdapterError extends Error {
  readonly code: AdapterErrorCode;
  /** Where the adapter came from: `built-in`, a package name or a file as written under `plugins:`. */
  readonly origin: string;
  constructor(code: AdapterErrorCode, origin: string, problem: string, options?: { cause?: unknown }) {
    super(`${code}: ${origin === 'built-in' ? '' : `${origin}: `}${problem}`, options);
    this.name = 'AdapterError';
    this.code = code;
    this.origin = origin;
  }
}

/** Whether an adapter declaring `range` works with this host (`^1`, `^1.2.0`, `>=1.1 <2`, `1.x`). */
export function acceptsHostApi(range: string, version = HOST_API_VERSION): boolean {
  const valid = validRange(range.trim());
  return valid !== null && satisfies(version, valid);
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** The fields a definition must have; a plugin is JavaScript, so its types are not trusted. */
function shapeProblem(def: unknown): string | null {
  if (def === null || typeof def !== 'object') return 'the export is not an object';
  const d = def as Record<string, unknown>;
  for (const key of ['name', 'configKey', 'hostApi', 'mountPath'] as const) {
    if (typeof d[key] !== 'string') return `${key} must be a string`;
  }
  if (typeof d.create !== 'function') return 'create must be a function';
  const schema = d.configSchema as { safeParse?: unknown } | null | undefined;
  if (schema === null || typeof schema !== 'object' || typeof schema.safeParse !== 'function') return 'configSchema must be a zod schema (with safeParse)';
  if (d.migrations !== undefined && (d.migrations === null || typeof d.migrations !== 'object')) return 'migrations must be an object of named migrations';
  return null;
}

export class AdapterRegistry {
  readonly #defs: AdapterDefinition[] = [];

  /** Checks and adds `def`; throws AdapterError naming `origin` when it cannot load. */
  register(def: AdapterDefinition, origin = 'built-in'): void {
    const refuse = (code: AdapterErrorCode, problem: string): never => {
      throw new AdapterError(code, origin, problem);
    };
    const shape = shapeProblem(def);
    if (shape) refuse('FG_ERR_ADAPTER_EXPORT', `not an adapter definition: ${shape}`);
    if (!/^[a-z][a-z0-9-]{1,40}$/.test(def.name)) refuse('FG_ERR_ADAPTER_NAME', `adapter name "${def.name}" must be lower-case letters, digits and -`);
    if (def.name === 'host') refuse('FG_ERR_ADAPTER_NAME', 'adapter name "host" is reserved');
    if (!/^[a-z][A-Za-z0-9]{0,40}$/.test(def.configKey)) refuse('FG_ERR_ADAPTER_CONFIG_KEY', `adapter ${def.name}: config key "${def.configKey}" must be camelCase letters and digits`);
    if (!/^\/[a-z0-9][a-z0-9/_-]*$/.test(def.mountPath) || def.mountPath.endsWith('/')) {
      refuse('FG_ERR_ADAPTER_MOUNT_PATH', `adapter ${def.name}: mountPath "${def.mountPath}" must look like /name or /name/part`);
    }
    if (validRange(def.hostApi.trim()) === null) refuse('FG_ERR_ADAPTER_HOST_API', `adapter ${def.name}: hostApi "${def.hostApi}" is not a semver range (e.g. ^2.0)`);
    if (!acceptsHostApi(def.hostApi)) refuse('FG_ERR_ADAPTER_HOST_API', `adapter ${def.name} needs host API ${def.hostApi}; this host offers ${HOST_API_VERSION}`);
    for (const reserved of RESERVED_PATHS) {
      if (overlaps(def.mountPath, reserved)) refuse('FG_ERR_ADAPTER_RESERVED_PATH', `adapter ${def.name}: mountPath ${def.mountPath} overlaps the host's ${reserved}`);
    }
    for (const other of this.#defs) {
      if (other.name === def.name) refuse('FG_ERR_ADAPTER_DUPLICATE_NAME', `adapter name "${def.name}" is registered twice`);
      if (other.configKey === def.configKey) refuse('FG_ERR_ADAPTER_CONFIG_KEY', `adapters ${other.name} and ${def.name} both claim config key ${def.configKey}`);
      if (overlaps(other.mountPath, def.mountPath)) {
        refuse('FG_ERR_ADAPTER_MOUNT_PATH', `adapter ${def.name}: mountPath ${def.mountPath} overlaps ${other.name}'s ${other.mountPath}`);
      }
    }
    this.#defs.push(def);
  }

  get all(): readonly AdapterDefinition[] {
    return this.#defs;
  }
}
