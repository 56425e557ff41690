/**
 * createHost runs START_STEPS in order; a step reading a part no earlier step built fails at
 * once, naming it; a start that fails half-way reports its own error and stops what the steps
 * before it started (the store closed, the directory closed), in reverse order.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createHost, START_STEPS } from '../../src/host/host.js';
import { startContext } from '../../src/host/start/start-context.js';
import { loadConfig } from '../../src/host/config/load.js';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import { FileDirectory } from '../../src/directory/file/file-directory.js';
import { systemClock } from '../../src/kit/clock.js';
import { createLogger } from '../../src/audit/logger.js';
import { makeTempDir } from '../support/host-harness.js';

const START_DIR = fileURLToPath(new URL('../../src/host/start/', import.meta.url));

describe('start-up steps', () => {
  it('lists every step file of src/host/start once, in a table', () => {
    const files = readdirSync(START_DIR).filter((f) => f.endsWith('.ts') && f !== 'start-context.ts');
    expect(START_STEPS).toHaveLength(files.length);
    expect(new Set(START_STEPS).size).toBe(START_STEPS.length);
  });

  it('refuses to read a part before the step that provides it, naming the part', () => {
    const ctx = startContext({
      loaded: loadConfig({ adapters: [], env: {} }),
      config: loadConfig({ adapters: [], env: {} }).host,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      directoryOverride: undefined,
      devCertsDir: undefined,
      definitions: [],
      worker: undefined,
    });
    expect(() => ctx.store).toThrow('start-up: store is read before the step that provides it');
  });

  it('a start that fails in an adapter reports that error and closes the directory and the store it had opened', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'factorgate.yaml');
    writeFileSync(file, 'dataDir: ./data\ndirectory:\n  type: file\n  path: users.yaml\nadapters:\n  exploding: {}\n');
    writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
    const refusal = new Error('the adapter cannot start');
    const exploding: AdapterDefinition<Record<string, never>> = {
      name: 'exploding',
      configKey: 'exploding',
      hostApi: '^2.0',
      mountPath: '/exploding',
      configSchema: z.strictObject({}),
      create: () => {
        throw refusal;
      },
    };
    const loaded = loadConfig({ configPath: file, adapters: [exploding], env: {}, cwd: dir });
    const closed: string[] = [];
    const directory = new FileDirectory(join(dir, 'users.yaml'));
    directory.close = async () => {
      closed.push('directory');
    };

    await expect(createHost({ loaded, adapters: [exploding], directory, logger: createLogger({ level: 'silent' }), devCertsDir: join(dir, 'certs') })).rejects.toBe(refusal);
    expect(closed).toEqual(['directory']);
    // SQLite removes its write-ahead log when the last connection closes.
    const store = loaded.host.store;
    expect(store.driver).toBe('sqlite');
    const storeFile = store.driver === 'sqlite' ? store.path! : '';
    expect(existsSync(storeFile)).toBe(true);
    expect(existsSync(`${storeFile}-wal`)).toBe(false);
  });
});
