/**
 * What the primary of `server.workers > 1` runs once before forking (PREPARE_STEPS): after it,
 * every worker's own start finds the store migrated, the dev signing keys and the demo users
 * there, and creates none of them again — so workers starting together cannot race to make
 * two different key pairs or print passwords that another worker overwrote.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/audit/logger.js';
import { loadConfig } from '../../../src/host/config/load.js';
import { createHost, prepareHost } from '../../../src/host/host.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { makeTempDir } from '../../support/host-harness.js';

const dir = makeTempDir('fg-prepare-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareHost (the primary, before forking)', () => {
  it('migrates the store and creates the dev keys and demo users once; a worker started after it creates none', async () => {
    const loaded = loadConfig({ adapters: [], env: { FACTORGATE_DATA: join(dir, 'data'), FACTORGATE_PORT: '0' } });
    const logger = createLogger({ level: 'silent' });
    const devCertsDir = join(dir, 'certs');
    const { demoCredentials } = await prepareHost({ loaded, adapters: [], logger, devCertsDir });
    expect(demoCredentials.length).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'data', 'factorgate.db'))).toBe(true);
    const sqlite = new Database(join(dir, 'data', 'factorgate.db'), { readonly: true });
    const migrated = (sqlite.prepare('select count(*) as n from kysely_migration').get() as { n: number }).n;
    sqlite.close();
    expect(migrated).toBe(Object.keys(migrations).length);
    const keyFiles = readdirSync(devCertsDir).sort();
    const keysBefore = keyFiles.map((f) => readFileSync(join(devCertsDir, f), 'utf8'));
    const usersBefore = readFileSync(join(dir, 'data', 'demo-users.yaml'), 'utf8');

    const worker = await createHost({ loaded, adapters: [], logger, devCertsDir });
    try {
      expect(worker.demoCredentials).toEqual([]);
      expect(readdirSync(devCertsDir).sort()).toEqual(keyFiles);
      expect(keyFiles.map((f) => readFileSync(join(devCertsDir, f), 'utf8'))).toEqual(keysBefore);
      expect(readFileSync(join(dir, 'data', 'demo-users.yaml'), 'utf8')).toBe(usersBefore);
      // The store the worker opened is the migrated one the primary left (users table answers).
      expect(await worker.api.store.db.selectFrom('users').select('id').execute()).toEqual([]);
    } finally {
      await worker.close();
    }
  });
});
