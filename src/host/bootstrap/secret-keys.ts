/**
 * The key ring for secrets at rest: from `secrets.keys` in the configuration, or, when none is
 * configured, one key generated under `<dataDir>/keys/` on first start (fine for the demo and
 * a single host; a real deployment sets its own so every host shares it and backups hold it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { SecretBox, type KeyEncryptionKey } from '../../store/secret-box.js';
import type { HostConfig } from '../config/schema.js';
import { FactorgateError } from '../errors.js';

export function decodeKey(text: string): Buffer {
  const t = text.trim();
  return /^[A-Fa-f0-9]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
}

export function loadOrCreateLocalKey(dataDir: string): KeyEncryptionKey {
  const dir = join(dataDir, 'keys');
  const file = join(dir, 'local-1.key');
  try {
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      // rename is atomic: two hosts starting at once never see a half-written key.
      if (!existsSync(file)) renameSync(tmp, file);
    }
    return { id: 'local-1', key: decodeKey(readFileSync(file, 'utf8')) };
  } catch (cause) {
    throw new FactorgateError('STORE_ERROR', { detail: `cannot create the local secret key under ${dir}`, cause });
  }
}

/** The key ring a host (or a CLI command writing secrets) uses: configured keys, else the local one. */
export function secretKeysFor(config: Pick<HostConfig, 'secrets' | 'dataDir'>): KeyEncryptionKey[] {
  return config.secrets ? config.secrets.keys.map((k) => ({ id: k.id, key: decodeKey(k.key) })) : [loadOrCreateLocalKey(config.dataDir)];
}

/**
 * One builder for the host and the CLI, so `factorgate tokens import` seals token secrets with
 * exactly the keys the running host will open them with.
 */
export function secretBoxFor(config: Pick<HostConfig, 'secrets' | 'dataDir'>): SecretBox {
  return new SecretBox(secretKeysFor(config));
}
