/**
 * `factorgate admin token create|list|revoke` through the real command (bin/factorgate.js), and
 * what the store keeps: an HMAC, never the token; a revoked or unknown token does not check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runFactorgate } from '../support/factorgate-cli.js';
import { makeTempDir } from '../support/host-harness.js';
import { openStore, type Store } from '../../src/store/store.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { pinDerivationRoot } from '../../src/keys/derivation-root.js';
import { secretKeysFor } from '../../src/keys/secret-keys.js';
import { loadConfig } from '../../src/host/config/load.js';
import { ManualClock } from '../../src/kit/clock.js';
import { API_TOKEN_KEY_PURPOSE, ApiTokens } from '../../src/admin/api-tokens.js';

let stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

function setup() {
  const dir = makeTempDir('fg-api-tokens-');
  writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(file, stringify({ dataDir: join(dir, 'data'), directory: { type: 'file', path: 'users.yaml' } }));
  mkdirSync(join(dir, 'data'), { recursive: true });
  return { file, dbFile: join(dir, 'data', 'factorgate.db') };
}

/** The same token checker the host builds, on the CLI's store and key ring. */
async function tokensOf(file: string, clock = new ManualClock(Date.now())) {
  const config = loadConfig({ configPath: file, adapters: [], env: {} }).host;
  if (config.store.driver !== 'sqlite') throw new Error('this test uses SQLite');
  const store = await openStore({ driver: 'sqlite', file: config.store.path! });
  stores.push(store);
  const keys = secretKeysFor(config);
  const box = new SecretBox(keys, clock);
  await pinDerivationRoot(store.db, box, keys, clock);
  return { store, clock, tokens: new ApiTokens(store.db, clock, box.deriveKey(API_TOKEN_KEY_PURPOSE)) };
}

describe('factorgate admin token', () => {
  it('creates a token shown once on stdout, stores only its HMAC, lists it, and revokes it', { timeout: 120_000 }, async () => {
    const { file } = setup();
    const env = { USER: 'jo' };
    const made = await runFactorgate(['admin', 'token', 'create', '--name', 'deploy-bot', '--role', 'helpdesk', '--config', file], env);
    expect(made.code).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^fgat_[A-Za-z0-9_-]{43}$/);
    expect(made.err).toContain('created helpdesk token "deploy-bot"');
    expect(made.err).not.toContain(token);

    const { store, tokens, clock } = await tokensOf(file);
    const [row] = await store.db.selectFrom('admin_api_tokens').selectAll().execute();
    expect(row).toMatchObject({ name: 'deploy-bot', role: 'helpdesk', created_by: 'cli:jo', last_used_at: null, revoked_at: null });
    expect(row!.token_hash).not.toContain(token.slice(5, 20));
    // Nothing else in the store holds the token either.
    const dump = JSON.stringify(await store.db.selectFrom('audit_events').selectAll().execute());
    expect(dump).not.toContain(token);

    expect(await tokens.check(token)).toEqual({ ok: true, token: { id: row!.id, name: 'deploy-bot', role: 'helpdesk' } });
    const used = await store.db.selectFrom('admin_api_tokens').select('last_used_at').executeTakeFirstOrThrow();
    expect(Number(used.last_used_at)).toBe(clock.now());

    const list = await runFactorgate(['admin', 'token', 'list', '--json', '--config', file], env);
    expect(JSON.parse(list.out)).toMatchObject([{ name: 'deploy-bot', role: 'helpdesk', createdBy: 'cli:jo', lastUsedAt: new Date(clock.now()).toISOString(), revokedAt: null }]);

    const twice = await runFactorgate(['admin', 'token', 'create', '--name', 'deploy-bot', '--role', 'admin', '--config', file], env);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('a token named "deploy-bot" exists');

    const revoked = await runFactorgate(['admin', 'token', 'revoke', 'deploy-bot', '--config', file], env);
    expect(revoked).toMatchObject({ code: 0, out: 'revoked API token "deploy-bot" (helpdesk); requests with it now get 401\n' });
    expect(await tokens.check(token)).toEqual({ ok: false, reason: 'REVOKED', name: 'deploy-bot' });
    const table = await runFactorgate(['admin', 'token', 'list', '--config', file], env);
    expect(table.out).toMatch(/^NAME\s+ROLE\s+CREATED\s+CREATED BY\s+LAST USED\s+REVOKED\ndeploy-bot\s+helpdesk\s+\S+\s+cli:jo\s+\S+\s+\S+ by cli:jo\n$/);
    expect((await runFactorgate(['admin', 'token', 'revoke', 'deploy-bot', '--config', file], env)).err).toContain('already revoked');
  });

  it('refuses a bad role, a bad name and a missing name with a usage error', { timeout: 60_000 }, async () => {
    const { file } = setup();
    expect((await runFactorgate(['admin', 'token', 'create', '--name', 'x', '--role', 'root', '--config', file])).code).toBe(2);
    expect((await runFactorgate(['admin', 'token', 'create', '--role', 'admin', '--config', file])).code).toBe(2);
    const badName = await runFactorgate(['admin', 'token', 'create', '--name', 'has space', '--role', 'admin', '--config', file]);
    expect(badName.code).toBe(1);
    expect(badName.err).toContain('a token name is 1 to 64 letters');
  });

  it('does not check an unknown, malformed or one-character-changed token', async () => {
    const { file } = setup();
    const { tokens } = await tokensOf(file);
    const { token } = await tokens.create({ name: 'ci', role: 'admin', createdBy: 'test' });
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(await tokens.check(flipped)).toEqual({ ok: false, reason: 'UNKNOWN' });
    expect(await tokens.check('fgat_short')).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await tokens.check(`${token} `)).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await tokens.check(token)).toMatchObject({ ok: true, token: { role: 'admin' } });
  });
});
