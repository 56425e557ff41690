/**
 * Imports one adapter named under `plugins:`: a path (`./local/adapter.js`, relative to the
 * configuration file) or a package name (`@acme/factorgate-adapter-x`, looked up in the
 * node_modules folders above the configuration file, then beside factorgate itself). The module
 * is an ES module whose default export, or named export `adapter`, is the AdapterDefinition.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdapterError } from '../adapter-registry.js';

type ExportsField = string | null | { [key: string]: ExportsField } | ExportsField[];

/** The ESM entry a package.json `exports` gives for `.` (conditions: import, node, default). */
function entryFromExports(field: ExportsField | undefined): string | null {
  if (field === undefined || field === null) return null;
  if (typeof field === 'string') return field;
  if (Array.isArray(field)) {
    for (const f of field) {
      const hit = entryFromExports(f);
      if (hit) return hit;
    }
    return null;
  }
  if ('.' in field) return entryFromExports(field['.']);
  for (const condition of ['import', 'node', 'default']) {
    if (condition in field) {
      const hit = entryFromExports(field[condition]);
      if (hit) return hit;
    }
  }
  return null;
}

/** The entry file of package `name` in the first `node_modules` above `fromDir` that has it. */
function findPackageEntry(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    const manifest = join(pkgDir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: ExportsField; module?: string; main?: string };
      const entry = entryFromExports(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
      return resolve(pkgDir, entry);
    }
    if (dirname(dir) === dir) return null;
  }
}

function isPath(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec);
}

const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The module's adapter definition, unchecked (the registry checks it). */
export async function importPlugin(spec: string, baseDir: string): Promise<unknown> {
  let url: string;
  if (isPath(spec)) {
    const file = resolve(baseDir, spec);
    if (!existsSync(file)) throw new AdapterError('FG_ERR_ADAPTER_NOT_FOUND', spec, `no file ${file}`);
    url = pathToFileURL(file).href;
  } else {
    if (!PACKAGE_NAME.test(spec)) throw new AdapterError('FG_ERR_ADAPTER_NOT_FOUND', spec, 'expected a package name (@scope/name) or a path starting with ./, ../ or /');
    let entry: string | null;
    try {
      entry = findPackageEntry(spec, baseDir);
    } catch (cause) {
      throw new AdapterError('FG_ERR_ADAPTER_NOT_FOUND', spec, `its package.json cannot be read (${(cause as Error).message})`, { cause });
    }
    // Not installed beside the configuration: the package may sit beside factorgate itself.
    url = entry ? pathToFileURL(entry).href : spec;
  }
  let mod: { default?: unknown; adapter?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown; adapter?: unknown };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (url === spec && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')) {
      throw new AdapterError('FG_ERR_ADAPTER_NOT_FOUND', spec, `package not installed (looked in node_modules above ${baseDir} and beside factorgate)`, { cause });
    }
    throw new AdapterError('FG_ERR_ADAPTER_IMPORT', spec, `importing it failed: ${(cause as Error).message}`, { cause });
  }
  const def = mod.default ?? mod.adapter;
  if (def === undefined) throw new AdapterError('FG_ERR_ADAPTER_EXPORT', spec, 'the module has neither a default export nor an export named adapter');
  return def;
}
