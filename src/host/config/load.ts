/**
 * Loads the configuration once: YAML → `${VAR}` substitution → `…File` keys read → validation
 * of the host sections and of each adapter's section → defaults resolved → deep-frozen.
 * Every problem is collected (not only the first) and named by file and key path, e.g.
 * `factorgate.yaml: adapters.formsProxy.apps[1].upstream: expected a URL`: an unreadable
 * `…File`, an unset variable, the host sections and the adapters' sections are all checked in
 * one run, so five mistakes take one run to see. Only a file that cannot be read or parsed as
 * YAML stops the run early (there is nothing to check then).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatIssues, formatPath } from '../../kit/format-issues.js';
import { usersFileProblems } from '../../directory/file/users-file-problems.js';
import { rootConfigSchema, type HostConfig } from '../../config/schema.js';
import type { AdapterDefinition } from '../../api/host-api.js';
import { policyProblems } from '../../policy/policy-problems.js';
import { parseUsersFile } from '../../directory/file/file-directory.js';

export { formatIssues, formatPath };

export const DEFAULT_CONFIG_FILE = 'factorgate.yaml';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadedConfig {
  host: HostConfig;
  /** Validated sections of the adapters that are configured, by adapter name. */
  adapters: ReadonlyMap<string, unknown>;
  /**
   * The key as written for values read from a file: `directory.bindPassword` →
   * `directory.bindPasswordFile`, so a later check (`check-config --connect`) names the key the
   * operator wrote. Paths as `formatPath` writes them.
   */
  keySources: ReadonlyMap<string, string>;
  /** Every adapter the host can run: the built-ins and the plugins the file names. */
  definitions: readonly AdapterDefinition[];
}

/** The key an operator wrote for the value at `path` (its `…File` key when it was read from a file). */
export function writtenKey(loaded: Pick<LoadedConfig, 'keySources'>, path: string): string {
  return loaded.keySources.get(path) ?? path;
}

export interface LoadOptions {
  /** `--config PATH`; falls back to FACTORGATE_CONFIG, then ./factorgate.yaml, then the demo. */
  configPath?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  adapters: readonly AdapterDefinition[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * A primary provider named in one adapter's section (a relying party's `primary:
 * upstream:corp`) must be registered by a configured adapter (the bridge's upstream `corp`);
 * `password` is the host's own.
 */
function primaryWiringProblems(defs: readonly AdapterDefinition[], sections: ReadonlyMap<string, unknown>): string[] {
  const configured = defs.filter((d) => sections.has(d.name));
  const provided = ['password', ...configured.flatMap((d) => d.primaries?.provides?.(sections.get(d.name)) ?? [])];
  return configured.flatMap((d) =>
    (d.primaries?.requires?.(sections.get(d.name)) ?? [])
      .filter((r) => !provided.includes(r.provider))
      .map((r) => `adapters.${d.configKey}.${r.path}: no primary provider "${r.provider}" (available: ${provided.join(', ')})`),
  );
}

/**
 * What the early steps found: problems, and the paths whose value is missing because of them
 * (a validation issue there would only repeat the problem as a confusing "required").
 */
interface Findings {
  problems: string[];
  blocked: string[];
  keySources: Map<string, string>;
}

function isBlocked(path: string, blocked: readonly string[]): boolean {
  return blocked.some((b) => path === b || path.startsWith(`${b}.`) || path.startsWith(`${b}[`));
}

/** Replaces `${VAR}` in every string value; `$${` stays a literal `${`. */
function substituteEnv(value: Json, env: NodeJS.ProcessEnv, path: PropertyKey[], found: Findings): Json {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      const v = env[name];
      if (v === undefined) {
        found.problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
        found.blocked.push(formatPath(path));
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], found));
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, [...path, k], found);
    return out;
  }
  return value;
}

/** Every `fooFile: PATH` becomes `foo: <content of PATH>` (secrets and PEM material). */
function readFileKeys(value: Json, baseDir: string, path: PropertyKey[], found: Findings): Json {
  if (Array.isArray(value)) return value.map((v, i) => readFileKeys(v, baseDir, [...path, i], found));
  if (value === null || typeof value !== 'object') return value;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    const m = /^(.+)File$/.exec(k);
    if (!m) {
      out[k] = readFileKeys(v, baseDir, [...path, k], found);
      continue;
    }
    const target = m[1]!;
    const keyPath = formatPath([...path, k]);
    const targetPath = formatPath([...path, target]);
    const refuse = (problem: string) => {
      found.problems.push(`${keyPath}: ${problem}`);
      found.blocked.push(keyPath, targetPath);
    };
    if (Object.prototype.hasOwnProperty.call(value, target)) {
      refuse(`give either ${target} or ${k}, not both`);
      continue;
    }
    if (typeof v !== 'string' || v === '') {
      refuse('expected a file path');
      continue;
    }
    const file = isAbsolute(v) ? v : resolve(baseDir, v);
    try {
      out[target] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      found.keySources.set(targetPath, keyPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      refuse(`cannot read ${file} (${code})`);
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

function readYaml(file: string): { data: Json; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { data: null, problems: [`cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    return {
      data: null,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`;
      }),
    };
  }
  if (doc.contents !== null && !isMap(doc.contents)) return { data: null, problems: ['(root): expected a mapping of sections'] };
  return { data: (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Json, problems: [] };
}

export interface DemoContext {
  dataDir: string;
  publicUrl: string;
}

/** The embedded defaults used when no configuration file is named or present. */
function demoInput(adapters: readonly AdapterDefinition[], ctx: DemoContext): { [k: string]: Json } {
  const adapterSections: { [k: string]: Json } = {};
  for (const a of adapters) {
    if (a.demoConfig) adapterSections[a.configKey] = a.demoConfig(ctx) as Json;
  }
  return {
    server: { host: '127.0.0.1' },
    directory: { type: 'file', path: resolve(ctx.dataDir, 'demo-users.yaml') },
    // Codes by SMS, call and email go to the log (codes shown: demo only), so a sign-in works offline.
    factors: { sms: {}, voice: {}, email: { transport: 'console', revealCodes: true } },
    delivery: { sms: { type: 'console', revealCodes: true }, voice: { type: 'console', revealCodes: true } },
    adapters: adapterSections,
  };
}

function isPlainObject(value: unknown): value is { [k: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The file `--config`, FACTORGATE_CONFIG or ./factorgate.yaml names; null for the embedded demo. */
export function resolveConfigFile(options: Pick<LoadOptions, 'configPath' | 'env' | 'cwd'>): string | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.configPath ?? env.FACTORGATE_CONFIG;
  return named ? resolve(cwd, named) : existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? resolve(cwd, DEFAULT_CONFIG_FILE) : null;
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = resolveConfigFile(options);
  const label = file ?? '(embedded demo defaults)';
  const found: Findings = { problems: [], blocked: [], keySources: new Map() };
  const { problems } = found;
  const fail = (): never => {
    throw new ConfigError(problems.map((p) => `${label}: ${p}`));
  };
  /** Schema issues, less those that only repeat a problem already reported for that key. */
  const report = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []) => {
    for (const issue of issues) {
      if (isBlocked(formatPath([...prefix, ...issue.path]), found.blocked)) continue;
      problems.push(...formatIssues([issue], prefix, (path) => found.keySources.get(path) ?? path));
    }
  };

  let input: Json;
  const baseDir = file ? dirname(file) : cwd;
  if (file) {
    if (!existsSync(file)) {
      problems.push('file not found');
      fail();
    }
    const read = readYaml(file);
    problems.push(...read.problems);
    // Without a parsed document there is nothing further to check.
    if (problems.length) fail();
    input = substituteEnv(read.data, env, [], found);
    input = readFileKeys(input, baseDir, [], found);
  } else {
    input = {};
  }

  const obj = (input ?? {}) as { [k: string]: Json };
  // Environment overrides let several hosts and test runs share one machine.
  if (env.FACTORGATE_PORT !== undefined) {
    const port = Number(env.FACTORGATE_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`FACTORGATE_PORT: expected a port number, got "${env.FACTORGATE_PORT}"`);
    else obj.server = { ...((obj.server as object | undefined) ?? {}), port } as Json;
  }
  if (env.FACTORGATE_DATA) obj.dataDir = resolve(cwd, env.FACTORGATE_DATA);

  // The host sections and the adapters' sections are checked side by side: an adapter's section
  // does not depend on the host's being valid, and an operator wants every problem at once.
  const first = rootConfigSchema.safeParse(obj);
  if (!first.success) report(first.error.issues);
  if (file && obj.directory === undefined) problems.push('directory: required (type: file or ldap)');
  const rawAdapters = first.success ? first.data.adapters : isPlainObject(obj.adapters) ? obj.adapters : {};
  const adapters = validateAdapterSections(file ? rawAdapters : {}, options.adapters, report, problems);
  if (problems.length) fail();

  const root = first.data!;
  const dataDir = isAbsolute(root.dataDir) ? root.dataDir : resolve(file ? baseDir : cwd, root.dataDir);
  const publicUrl = (root.server.publicUrl ?? `http://localhost:${root.server.port}`).replace(/\/+$/, '');

  let directory = root.directory;
  if (!file) {
    const demo = demoInput(options.adapters, { dataDir, publicUrl });
    const demoParsed = rootConfigSchema.safeParse({ ...obj, ...demo, server: { ...(obj.server as object), ...(demo.server as object) } });
    if (!demoParsed.success) {
      report(demoParsed.error.issues);
      fail();
    }
    Object.assign(root, { server: demoParsed.data!.server, factors: demoParsed.data!.factors, delivery: demoParsed.data!.delivery });
    directory = demoParsed.data!.directory;
    for (const [name, section] of validateAdapterSections(demoParsed.data!.adapters, options.adapters, report, problems)) adapters.set(name, section);
    if (problems.length) fail();
  }

  if (directory!.type === 'file' && !isAbsolute(directory!.path)) {
    directory = { ...directory!, path: resolve(baseDir, directory!.path) };
  }
  // A named users file is read now, so check-config finds it missing or malformed, not the first
  // start (the demo's is generated at start).
  if (file && directory!.type === 'file') {
    problems.push(...usersFileProblems(directory!.path).map((p) => `directory.path: ${p}`));
    if (problems.length) fail();
  }
  // Policy rules naming an app no adapter serves, or a group no user of a users file holds.
  if (root.policies.rules.length > 0) {
    problems.push(...policyProblems(root.policies.rules, { apps: declaredApps(options.adapters, adapters), groups: directory!.type === 'file' ? usersFileGroups(directory!.path) : null }));
    if (problems.length) fail();
  }
  let store = root.store;
  if (store.driver === 'sqlite') store = { ...store, path: store.path ? resolve(baseDir, store.path) : resolve(dataDir, 'factorgate.db') };

  // The .eml folder of delivery.smtp kind file, like every path, is relative to the configuration file.
  const smtp = root.delivery?.smtp;
  const delivery = smtp?.dir !== undefined && !isAbsolute(smtp.dir) ? { ...root.delivery!, smtp: { ...smtp, dir: resolve(file ? baseDir : cwd, smtp.dir) } } : root.delivery;

  const host: HostConfig = {
    ...root,
    delivery,
    dataDir,
    store,
    directory: directory!,
    adapters: Object.fromEntries(adapters),
    configFile: file,
    demo: file === null,
    publicUrl,
  };
  return { host: deepFreeze(host), adapters: deepFreeze(adapters) as ReadonlyMap<string, unknown>, keySources: found.keySources, definitions: options.adapters };
}

/** Every app the configured adapters declare, with their names; null when one declares none. */
function declaredApps(defs: readonly AdapterDefinition[], sections: ReadonlyMap<string, unknown>): Set<string> | null {
  const names = new Set<string>(['host']);
  for (const def of defs) {
    if (!sections.has(def.name)) continue;
    if (!def.apps) return null;
    names.add(def.name);
    for (const app of def.apps(sections.get(def.name))) names.add(app);
  }
  return names;
}

function usersFileGroups(path: string): string[] {
  try {
    return [...new Set(parseUsersFile(readFileSync(path, 'utf8'), path).flatMap((u) => u.groups ?? []))];
  } catch {
    return [];
  }
}

/**
 * Each `adapters.<key>` section through its adapter's schema, then the primary providers they
 * name (a relying party's `primary: upstream:corp` needs the bridge's upstream `corp`).
 */
function validateAdapterSections(
  sections: Record<string, unknown>,
  defs: readonly AdapterDefinition[],
  report: (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]) => void,
  problems: string[],
): Map<string, unknown> {
  const adapters = new Map<string, unknown>();
  const byKey = new Map(defs.map((a) => [a.configKey, a]));
  for (const [key, section] of Object.entries(sections)) {
    const def = byKey.get(key);
    if (!def) {
      problems.push(`adapters.${key}: unknown adapter (known: ${[...byKey.keys()].join(', ') || 'none'})`);
      continue;
    }
    const parsed = def.configSchema.safeParse(section ?? {});
    if (!parsed.success) report(parsed.error.issues, ['adapters', key]);
    else adapters.set(def.name, parsed.data);
  }
  problems.push(...primaryWiringProblems(defs, adapters));
  return adapters;
}
