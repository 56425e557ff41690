/**
 * The key ring for secrets at rest: from `secrets.keys` in the configuration, or, when none is
 * configured, the key files under `<dataDir>/keys/` (`local-1.key`, `local-2.key`, … oldest
 * first; the first is generated on first start). That is fine for the demo and a single host;
 * a real deployment sets its own keys so every host shares them and backups hold them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretBox, type KeyEncryptionKey } from '../store/secret-box.js';
import type { HostConfig } from '../config/schema.js';
import type { Clock } from '../kit/clock.js';
import { FactorgateError } from '../kit/errors.js';

const LOCAL_KEY_FILE = /^local-([1-9]\d{0,5})\.key$/;

export function decodeKey(text: string): Buffer {
  const t = text.trim();
  return /^[A-Fa-f0-9]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
}

/** A fresh 256-bit key in the form key files hold (64 hex digits and a newline). */
export function newKeyText(): string {
  return `${randomBytes(32).toString('hex')}\n`;
}

/** Writes a new key file that did not exist (0600, atomically: nobody reads half a key). */
export function writeNewKeyFile(file: string, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, newKeyText(), { mode: 0o600, flag: 'wx' });
  if (existsSync(file)) throw new FactorgateError('STORE_ERROR', { detail: `${file} already exists` });
  renameSync(tmp, file);
}

export function localKeysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** The numbers of the local key files present, ascending. */
export function localKeyNumbers(dataDir: string): number[] {
  const dir = localKeysDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => LOCAL_KEY_FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * The local ring, generating `local-1.key` when there is none. A local key is active from its
 * file's modification time, which is when `keys rotate` wrote it: that starts the grace of
 * the previous key's derived keys.
 */
export function loadOrCreateLocalKeys(dataDir: string): KeyEncryptionKey[] {
  const dir = localKeysDir(dataDir);
  try {
    if (localKeyNumbers(dataDir).length === 0) {
      const file = join(dir, 'local-1.key');
      try {
        writeNewKeyFile(file, dir);
      } catch (err) {
        // Two hosts starting at once: the other one's key won; use it.
        if (!existsSync(file)) throw err;
      }
    }
    return localKeyNumbers(dataDir).map((n) => {
      const file = join(dir, `local-${n}.key`);
      return { id: `local-${n}`, key: decodeKey(readFileSync(file, 'utf8')), activeFrom: statSync(file).mtimeMs };
    });
  } catch (cause) {
    if (cause instanceof FactorgateError) throw cause;
    throw new FactorgateError('STORE_ERROR', { detail: `cannot read or create the local secret keys under ${dir}`, cause });
  }
}

/** The key ring a host (or a CLI command writing secrets) uses: configured keys, else the local ones. */
export function secretKeysFor(config: Pick<HostConfig, 'secrets' | 'dataDir'>): KeyEncryptionKey[] {
  const configured = config.secrets?.keys;
  if (!configured) return loadOrCreateLocalKeys(config.dataDir);
  return configured.map((k) => ({ id: k.id, key: decodeKey(k.key), activeFrom: k.activeFrom === undefined ? undefined : Date.parse(k.activeFrom) }));
}

/** How long derived keys (CSRF, code pepper) accept the previous key after a rotation. */
export function previousKeyGraceMs(config: Pick<HostConfig, 'secrets' | 'session'>): number {
  return (config.secrets?.previousKeyGraceMinutes ?? config.session.lifetimeMinutes) * 60_000;
}

/**
 * One builder for the host and the CLI, so `factorgate tokens import` seals token secrets with
 * exactly the keys the running host will open them with.
 */
export function secretBoxFor(config: Pick<HostConfig, 'secrets' | 'dataDir'>, clock?: Clock): SecretBox {
  return new SecretBox(secretKeysFor(config), clock);
}
