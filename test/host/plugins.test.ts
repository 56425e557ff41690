/**
 * Adapters named under `plugins:` load as files or installed packages and pass the same registry
 * checks as the built-ins; each refusal is a coded FG_ERR_ADAPTER_* problem naming the file, the
 * key and the package, at start (the loader) and through the real `factorgate check-config`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/host/config/load.js';
import { loadConfigWithPlugins } from '../../src/host/plugins/load-config-with-plugins.js';
import { createHost } from '../../src/host/host.js';
import { builtinAdapters } from '../../adapters/index.js';
import { createLogger } from '../../src/audit/logger.js';
import { makeTempDir } from '../support/host-harness.js';
import { runFactorgate } from '../support/factorgate-cli.js';

const GREETER = fileURLToPath(new URL('../fixtures/plugins/greeter.mjs', import.meta.url));

/** A package in `dir/node_modules/<name>` with an import-only `exports` map (as ESM packages ship). */
function installPackage(dir: string, name: string, def: Record<string, string>): void {
  const pkgDir = join(dir, 'node_modules', name);
  mkdirSync(join(pkgDir, 'lib'), { recursive: true });
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': { import: './lib/index.js' } } }));
  const fields = Object.entries(def)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)},`)
    .join('\n');
  // No zod in a bare temp folder: any schema with safeParse is accepted.
  writeFileSync(
    join(pkgDir, 'lib', 'index.js'),
    `export const adapter = {\n${fields}\n  configSchema: { safeParse: (v) => ({ success: true, data: v ?? {} }) },\n  create: () => ({ routes(r) { r.get('/', (_q, s) => { s.send('package ${name}'); }); }, async resume() {} }),\n};\n`,
  );
}

/** A configuration naming `plugins`; `greeter` stands for the fixture (an absolute path: it imports zod from this repository). */
function setup(plugins: string[], adapters = ''): { dir: string; file: string } {
  const dir = makeTempDir();
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(
    file,
    `dataDir: ./data\ndirectory:\n  type: file\n  path: users.yaml\nplugins:\n${plugins.map((p) => `  - "${p === 'greeter' ? GREETER : p}"`).join('\n')}\n${adapters ? `adapters:\n${adapters}` : ''}`,
  );
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  return { dir, file };
}

async function problems(file: string): Promise<string[]> {
  try {
    await loadConfigWithPlugins({ configPath: file, builtins: builtinAdapters, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('plugins', () => {
  it('loads a local file and an installed package, validates their sections and serves their routes', async () => {
    const { dir, file } = setup(['greeter', '@acme/factorgate-adapter-x'], '  greeter:\n    greeting: bonjour\n  acmeX: {}\n');
    installPackage(dir, '@acme/factorgate-adapter-x', { name: 'acme-x', configKey: 'acmeX', hostApi: '>=2.0 <3', mountPath: '/acme' });
    const loaded = await loadConfigWithPlugins({ configPath: file, builtins: builtinAdapters, env: {} });
    expect(loaded.definitions.map((d) => d.name)).toEqual([...builtinAdapters.map((d) => d.name), 'greeter', 'acme-x']);
    expect(loaded.adapters.get('greeter')).toEqual({ greeting: 'bonjour' });

    const host = await createHost({ loaded, adapters: loaded.definitions, logger: createLogger({ level: 'silent' }), devCertsDir: join(dir, 'certs') });
    try {
      const { url } = await host.listen();
      expect(await (await fetch(`${url}/greeter/`)).text()).toBe('bonjour from a plugin');
      expect(await (await fetch(`${url}/acme/`)).text()).toBe('package @acme/factorgate-adapter-x');
    } finally {
      await host.close();
    }
  });

  it('refuses each plugin that cannot load with a coded problem naming the file, the key and the package', async () => {
    const { dir, file } = setup([
      '@acme/missing',
      './nowhere.js',
      './throws.mjs',
      './empty.mjs',
      '@acme/future',
      '@acme/login-thief',
      '@acme/twin',
      '@acme/same-key',
      '@acme/bad-range',
    ]);
    writeFileSync(join(dir, 'throws.mjs'), "throw new Error('boom at import');\n");
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    installPackage(dir, '@acme/future', { name: 'future', configKey: 'future', hostApi: '^3.0.0', mountPath: '/future' });
    installPackage(dir, '@acme/login-thief', { name: 'thief', configKey: 'thief', hostApi: '^2', mountPath: '/login' });
    installPackage(dir, '@acme/twin', { name: 'saml-idp', configKey: 'twin', hostApi: '^2', mountPath: '/twin' });
    installPackage(dir, '@acme/same-key', { name: 'same-key', configKey: 'samlIdp', hostApi: '^2', mountPath: '/same' });
    installPackage(dir, '@acme/bad-range', { name: 'bad-range', configKey: 'badRange', hostApi: 'one please', mountPath: '/bad' });

    expect(await problems(file)).toEqual([
      expect.stringMatching(new RegExp(`^${file}: plugins\\[0\\]: FG_ERR_ADAPTER_NOT_FOUND: @acme/missing: package not installed`)),
      expect.stringMatching(new RegExp(`^${file}: plugins\\[1\\]: FG_ERR_ADAPTER_NOT_FOUND: \\./nowhere\\.js: no file ${dir}/nowhere\\.js$`)),
      expect.stringMatching(new RegExp(`^${file}: plugins\\[2\\]: FG_ERR_ADAPTER_IMPORT: \\./throws\\.mjs: importing it failed: boom at import$`)),
      `${file}: plugins[3]: FG_ERR_ADAPTER_EXPORT: ./empty.mjs: the module has neither a default export nor an export named adapter`,
      expect.stringMatching(/: plugins\[4\]: FG_ERR_ADAPTER_HOST_API: @acme\/future: adapter future needs host API \^3\.0\.0; this host offers 2\./),
      `${file}: plugins[5]: FG_ERR_ADAPTER_RESERVED_PATH: @acme/login-thief: adapter thief: mountPath /login overlaps the host's /login`,
      `${file}: plugins[6]: FG_ERR_ADAPTER_DUPLICATE_NAME: @acme/twin: adapter name "saml-idp" is registered twice`,
      `${file}: plugins[7]: FG_ERR_ADAPTER_CONFIG_KEY: @acme/same-key: adapters saml-idp and same-key both claim config key samlIdp`,
      `${file}: plugins[8]: FG_ERR_ADAPTER_HOST_API: @acme/bad-range: adapter bad-range: hostApi "one please" is not a semver range (e.g. ^2.0)`,
    ]);
  });

  it('reports plugin refusals and the other problems of the file in one check-config run (exit 2)', async () => {
    const { dir, file } = setup(['greeter', '@acme/future'], '  greeter:\n    greeting: ""\n');
    installPackage(dir, '@acme/future', { name: 'future', configKey: 'future', hostApi: '^3', mountPath: '/future' });
    const run = await runFactorgate(['check-config', '--config', file]);
    expect(run.code).toBe(2);
    const lines = run.err.trim().split('\n');
    expect(lines).toContain(`${file}: plugins[1]: FG_ERR_ADAPTER_HOST_API: @acme/future: adapter future needs host API ^3; this host offers ${(await import('../../src/api/host-api.js')).HOST_API_VERSION}`);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${file}: adapters\\.greeter\\.greeting: `))]));
  });

  it('check-config names a loaded plugin among the adapters', async () => {
    const { file } = setup(['greeter'], '  greeter: {}\n');
    const run = await runFactorgate(['check-config', '--config', file]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('adapters: greeter');
  });
});
