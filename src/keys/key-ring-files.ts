/**
 * Where the key ring lives and how `keys rotate` and `keys retire` change it, in the form the
 * host reads it:
 * - `secrets.keys` in the configuration file: rotate writes a new key file (0600) and appends
 *   `{ id, keyFile, activeFrom }` to the list, keeping the file's comments and layout; retire
 *   removes the entry.
 * - no `secrets.keys` (demo, single host): the files `<dataDir>/keys/local-N.key`; rotate
 *   writes the next number, retire renames the file to `local-N.key.retired`.
 * Key material is never printed.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { HostConfig } from '../config/schema.js';
import { FactorgateError } from '../kit/errors.js';
import { localKeyNumbers, localKeysDir, writeNewKeyFile } from './secret-keys.js';

export type RingSource = { kind: 'local'; dir: string } | { kind: 'config'; file: string };

export function ringSourceOf(config: Pick<HostConfig, 'secrets' | 'dataDir' | 'configFile'>): RingSource {
  if (!config.secrets?.keys) return { kind: 'local', dir: localKeysDir(config.dataDir) };
  if (!config.configFile) throw new FactorgateError('CONFIG_INVALID', { detail: 'secrets.keys is set but no configuration file is named' });
  return { kind: 'config', file: config.configFile };
}

export interface AddedKey {
  id: string;
  /** The new key file. */
  keyFile: string;
  /** Epoch ms the key starts encrypting. */
  activeFrom: number;
}

function fail(detail: string): never {
  throw new FactorgateError('CONFIG_INVALID', { detail });
}

function readDoc(file: string): Document {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) fail(`${file}: ${doc.errors[0]!.message}`);
  return doc;
}

function writeDoc(file: string, doc: Document): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString(), { mode: statSync(file).mode & 0o777, flag: 'wx' });
  renameSync(tmp, file);
}

function keysSeq(doc: Document, file: string) {
  const seq = doc.getIn(['secrets', 'keys'], true);
  if (!isSeq(seq)) fail(`${file}: secrets.keys is not a list this command can edit`);
  return seq;
}

/** The id `keys rotate` picks when none is given: k<YYYYMMDD>, then -2, -3 … when taken. */
export function defaultKeyId(now: number, taken: readonly string[]): string {
  const base = `k${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

export function addKey(
  source: RingSource,
  config: Pick<HostConfig, 'dataDir'>,
  ids: readonly string[],
  opts: { id?: string | undefined; keyFile?: string | undefined; activeFrom: number; now: number },
): AddedKey {
  if (source.kind === 'local') {
    if (opts.id !== undefined || opts.keyFile !== undefined) fail('--id and --key-file need secrets.keys in the configuration file (the local ring names its own files)');
    const next = Math.max(0, ...localKeyNumbers(config.dataDir)) + 1;
    const keyFile = join(source.dir, `local-${next}.key`);
    writeNewKeyFile(keyFile, source.dir);
    return { id: `local-${next}`, keyFile, activeFrom: statSync(keyFile).mtimeMs };
  }
  const id = opts.id ?? defaultKeyId(opts.now, ids);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) fail(`key id "${id}" must be 1-32 letters, digits, _ or -`);
  if (ids.includes(id)) fail(`key id "${id}" is already in secrets.keys`);
  const doc = readDoc(source.file);
  const seq = keysSeq(doc, source.file);
  const baseDir = dirname(source.file);
  // Beside the newest key file named in the list, else under <dataDir>/keys/.
  const lastFile = [...seq.items].reverse().map((item) => (isMap(item) ? item.get('keyFile') : undefined)).find((v): v is string => typeof v === 'string' && !v.includes('${'));
  const dir = lastFile ? dirname(isAbsolute(lastFile) ? lastFile : resolve(baseDir, lastFile)) : localKeysDir(config.dataDir);
  const keyFile = opts.keyFile ? resolve(opts.keyFile) : join(dir, `${id}.key`);
  if (existsSync(keyFile)) fail(`${keyFile} already exists`);
  writeNewKeyFile(keyFile, dirname(keyFile));
  seq.add(doc.createNode({ id, keyFile, activeFrom: new Date(opts.activeFrom).toISOString() }));
  writeDoc(source.file, doc);
  return { id, keyFile, activeFrom: opts.activeFrom };
}

/** Takes a key out of the ring; returns the file that held it, when known (now unused). */
export function removeKey(source: RingSource, id: string): string | null {
  if (source.kind === 'local') {
    const m = /^local-([1-9]\d{0,5})$/.exec(id);
    const file = m ? join(source.dir, `local-${m[1]}.key`) : null;
    if (!file || !existsSync(file)) fail(`no local key file for "${id}" under ${source.dir}`);
    renameSync(file, `${file}.retired`);
    return `${file}.retired`;
  }
  const doc = readDoc(source.file);
  const seq = keysSeq(doc, source.file);
  const index = seq.items.findIndex((item) => isMap(item) && String((item.get('id', true) as { value?: unknown } | undefined)?.value ?? item.get('id')) === id);
  if (index < 0) fail(`${source.file}: secrets.keys has no entry with id "${id}" (written as a plain value)`);
  const entry = seq.items[index];
  const keyFile = isMap(entry) ? entry.get('keyFile', true) : undefined;
  seq.items.splice(index, 1);
  writeDoc(source.file, doc);
  return isScalar(keyFile) && typeof keyFile.value === 'string' ? (isAbsolute(keyFile.value) ? keyFile.value : resolve(dirname(source.file), keyFile.value)) : null;
}
