import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../src/host/config/load.js';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import { makeTempDir } from '../support/host-harness.js';

const testAdapter: AdapterDefinition<{ apps: { name: string; upstream: string }[] }> = {
  name: 'forms-test',
  configKey: 'formsTest',
  hostApi: '^2.0',
  mountPath: '/forms-test',
  configSchema: z.strictObject({
    apps: z.array(z.strictObject({ name: z.string(), upstream: z.url({ error: 'expected a URL' }) })),
  }),
  create: () => ({ resume: async () => {} }),
};

function write(text: string, name = 'factorgate.yaml'): { dir: string; file: string } {
  const dir = makeTempDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  // `minimal` names users.yaml, which the loader reads: an empty users file.
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  return { dir, file };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const minimal = 'directory:\n  type: file\n  path: users.yaml\n';

describe('configuration loading', () => {
  it('reports every problem with the file and the key path, not only the first', () => {
    const { file } = write(
      `${minimal}server:\n  port: "eighty"\n  bogus: 1\nchallenge:\n  lockout:\n    maxFailures: 500\nadapters:\n  formsTest:\n    apps:\n      - name: a\n        upstream: http://ok.example\n      - name: b\n        upstream: not a url\n`,
    );
    const list = problems(() => loadConfig({ configPath: file, adapters: [testAdapter], env: {} }));
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: server\\.port: expected number, received string$`)),
        `${file}: server.bogus: unknown key`,
        expect.stringContaining(`${file}: challenge.lockout.maxFailures: `),
        `${file}: adapters.formsTest.apps[1].upstream: expected a URL`,
      ]),
    );
    expect(list).toHaveLength(4);
  });

  it('reports five mistakes of different kinds in one run, each once', () => {
    // An unreadable secret file, an unset variable, two host-schema mistakes and an adapter's:
    // before, these took three runs (files, then the host schema, then the adapters).
    const { file } = write(
      `directory:\n  type: ldap\n  urls: [ldap://127.0.0.1:1]\n  bindDn: cn=svc,dc=x\n  bindPasswordFile: /nonexistent/bind\n  baseDns: ["dc=x"]\n` +
        `branding:\n  productName: "\${BRAND}"\n  primaryColor: blue\nserver:\n  port: 70000\n` +
        `adapters:\n  formsTest:\n    apps:\n      - name: a\n        upstream: not a url\n`,
    );
    expect(problems(() => loadConfig({ configPath: file, adapters: [testAdapter], env: {} }))).toEqual([
      `${file}: branding.productName: environment variable BRAND is not set`,
      `${file}: directory.bindPasswordFile: cannot read /nonexistent/bind (ENOENT)`,
      expect.stringMatching(/: server\.port: .*65535/),
      expect.stringMatching(/: branding\.primaryColor: expected a colour like #1f5fbf$/),
      `${file}: adapters.formsTest.apps[0].upstream: expected a URL`,
    ]);
  });

  it('remembers which values were read from a …File key', () => {
    const { dir, file } = write(`directory:\n  type: ldap\n  urls: [ldap://127.0.0.1:1]\n  bindDn: cn=svc,dc=x\n  bindPasswordFile: pw\n  baseDns: ["dc=x"]\n`);
    writeFileSync(join(dir, 'pw'), 'secret\n');
    const loaded = loadConfig({ configPath: file, adapters: [], env: {} });
    expect(loaded.keySources.get('directory.bindPassword')).toBe('directory.bindPasswordFile');
    expect(loaded.keySources.has('directory.bindDn')).toBe(false);
  });

  it('names an unknown adapter section', () => {
    const { file } = write(`${minimal}adapters:\n  nope: {}\n`);
    expect(problems(() => loadConfig({ configPath: file, adapters: [testAdapter], env: {} }))[0]).toMatch(/adapters\.nope: unknown adapter \(known: formsTest\)/);
  });

  it('reports malformed YAML with its line and column', () => {
    const { file } = write('server:\n  port: [1, 2\n');
    const list = problems(() => loadConfig({ configPath: file, adapters: [], env: {} }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+, column \\d+: `));
  });

  it('refuses duplicate keys and a non-mapping document', () => {
    const { file } = write('server:\n  port: 1\nserver:\n  port: 2\n');
    expect(problems(() => loadConfig({ configPath: file, adapters: [], env: {} }))[0]).toMatch(/unique|duplicate/i);
    const { file: f2 } = write('- a\n- b\n');
    expect(problems(() => loadConfig({ configPath: f2, adapters: [], env: {} }))[0]).toMatch(/expected a mapping/);
  });

  it('fails when a named file is missing, but uses the demo defaults when none is named', () => {
    const dir = makeTempDir();
    expect(problems(() => loadConfig({ configPath: join(dir, 'absent.yaml'), adapters: [], env: {} }))[0]).toMatch(/absent\.yaml: file not found/);
    const demo = loadConfig({ adapters: [], env: {}, cwd: dir });
    expect(demo.host.demo).toBe(true);
    expect(demo.host.directory).toEqual({ type: 'file', path: join(dir, 'data', 'demo-users.yaml') });
    expect(demo.host.server.host).toBe('127.0.0.1');
    expect(demo.host.store).toEqual({ driver: 'sqlite', path: join(dir, 'data', 'factorgate.db') });
  });

  it('substitutes ${VAR} and reports an unset variable by key', () => {
    const { file } = write(`${minimal}branding:\n  productName: "\${BRAND} MFA"\n  logoUrl: "$\${LITERAL}"\n`);
    const loaded = loadConfig({ configPath: file, adapters: [], env: { BRAND: 'Acme' } });
    expect(loaded.host.branding.productName).toBe('Acme MFA');
    expect(loaded.host.branding.logoUrl).toBe('${LITERAL}');
    expect(problems(() => loadConfig({ configPath: file, adapters: [], env: {} }))).toEqual([
      `${file}: branding.productName: environment variable BRAND is not set`,
    ]);
  });

  it('reads …File keys from files relative to the config, and names a missing secret file', () => {
    const { dir, file } = write(`${minimal}secrets:\n  keys:\n    - id: k1\n      keyFile: secret/k1.key\n`);
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret/k1.key'), `${'ab'.repeat(32)}\n`);
    expect(loadConfig({ configPath: file, adapters: [], env: {} }).host.secrets?.keys?.[0]?.key).toBe('ab'.repeat(32));
    const { file: f2 } = write(`${minimal}secrets:\n  keys:\n    - id: k1\n      keyFile: /nonexistent/k1.key\n`);
    expect(problems(() => loadConfig({ configPath: f2, adapters: [], env: {} }))).toEqual([
      `${f2}: secrets.keys[0].keyFile: cannot read /nonexistent/k1.key (ENOENT)`,
    ]);
    const { file: f3 } = write(`${minimal}secrets:\n  keys:\n    - id: k1\n      key: x\n      keyFile: a\n`);
    expect(problems(() => loadConfig({ configPath: f3, adapters: [], env: {} }))[0]).toMatch(/secrets\.keys\[0\]\.keyFile: give either key or keyFile, not both/);
  });

  it('names the …File key when the content read from it is invalid, and the value key when it was written inline', () => {
    const { dir, file } = write(`${minimal}secrets:\n  keys:\n    - id: k1\n      keyFile: k1.key\n`);
    writeFileSync(join(dir, 'k1.key'), 'not-a-key\n');
    expect(problems(() => loadConfig({ configPath: file, adapters: [], env: {} }))).toEqual([
      `${file}: secrets.keys[0].keyFile: expected 32 bytes as 64 hex digits or base64`,
    ]);
    const { file: inline } = write(`${minimal}secrets:\n  keys:\n    - id: k1\n      key: not-a-key\n`);
    expect(problems(() => loadConfig({ configPath: inline, adapters: [], env: {} }))).toEqual([
      `${inline}: secrets.keys[0].key: expected 32 bytes as 64 hex digits or base64`,
    ]);
  });

  it('applies FACTORGATE_PORT and FACTORGATE_DATA, and rejects a bad port', () => {
    const { dir, file } = write(minimal);
    const loaded = loadConfig({ configPath: file, adapters: [], env: { FACTORGATE_PORT: '9123', FACTORGATE_DATA: 'elsewhere' }, cwd: dir });
    expect(loaded.host.server.port).toBe(9123);
    expect(loaded.host.dataDir).toBe(join(dir, 'elsewhere'));
    expect(loaded.host.publicUrl).toBe('http://localhost:9123');
    expect(problems(() => loadConfig({ configPath: file, adapters: [], env: { FACTORGATE_PORT: 'abc' } }))[0]).toMatch(/FACTORGATE_PORT: expected a port number/);
  });

  it('freezes the parsed configuration', () => {
    const { file } = write(minimal);
    const { host } = loadConfig({ configPath: file, adapters: [], env: {} });
    expect(Object.isFrozen(host)).toBe(true);
    expect(Object.isFrozen(host.server)).toBe(true);
    expect(() => {
      (host.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});
