import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { formsProxyAdapter, formsProxyConfigSchema } from '../../../adapters/forms-proxy/index.js';
import { ConfigError, loadConfig } from '../../../src/host/config/load.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const app = (over: Record<string, unknown> = {}) => ({
  name: 'intranet',
  listen: { port: 9001 },
  upstream: 'http://10.0.0.5:8080',
  loginPaths: ['/Account/Login'],
  success: { status: [302], setCookie: '.ASPXAUTH' },
  ...over,
});

function load(formsProxy: unknown) {
  dir = mkdtempSync(join(tmpdir(), 'fg-fp-config-'));
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(file, stringify({ directory: { type: 'file', path: 'users.yaml' }, adapters: { formsProxy } }));
  return loadConfig({ configPath: file, adapters: [formsProxyAdapter as never], env: {} });
}

function problems(formsProxy: unknown): string[] {
  try {
    load(formsProxy);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replace(/^[^:]*: /, ''));
    throw err;
  }
  return [];
}

describe('forms-proxy configuration', () => {
  it('fills the defaults and freezes the result', () => {
    const cfg = load({ apps: [app()] }).adapters.get('forms-proxy') as { apps: Record<string, unknown>[] };
    expect(cfg.apps[0]).toMatchObject({
      loginMethods: ['POST'],
      caseInsensitivePaths: true,
      fields: { username: 'username', password: 'password' },
      primary: 'upstream',
      protect: 'all',
      publicPaths: [],
      session: { idleMinutes: 30, absoluteMinutes: 480 },
      maxLoginBodyBytes: 65536,
    });
    expect(Object.isFrozen(cfg.apps[0])).toBe(true);
  });

  it('reports every problem with its path', () => {
    const found = problems({
      apps: [
        app(),
        app({ upstream: 'not a url', loginPaths: ['Account/Login'], success: {}, session: { idleMinutes: 60, absoluteMinutes: 30 } }),
        app({ listen: { hostname: 'intranet.example' }, fields: { username: 'login', password: 'LOGIN' } }),
        app({ name: 'other', listen: { port: 9001 }, success: { locationPattern: '([' } }),
      ],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'adapters.formsProxy.apps[1].upstream: expected a URL',
        'adapters.formsProxy.apps[1].loginPaths[0]: expected a path starting with /',
        'adapters.formsProxy.apps[1].success: give at least one of status, locationPattern, setCookie, bodyMustNotContain',
        'adapters.formsProxy.apps[3].success.locationPattern: expected a valid regular expression',
      ]),
    );
    const refined = problems({ apps: [app(), app({ session: { idleMinutes: 60, absoluteMinutes: 30 } }), app({ name: 'other', listen: { port: 9001 }, fields: { username: 'login', password: 'LOGIN' } })] });
    expect(refined).toEqual(
      expect.arrayContaining([
        'adapters.formsProxy.apps[1].name: app name "intranet" is used twice',
        'adapters.formsProxy.apps[1].session.idleMinutes: must be less than or equal to absoluteMinutes',
        'adapters.formsProxy.apps[2].listen.port: port 9001 is used twice',
        'adapters.formsProxy.apps[2].fields.password: must differ from fields.username',
      ]),
    );
  });

  it('refuses unknown keys', () => {
    expect(problems({ apps: [app({ sucess: {} })] })).toContain('adapters.formsProxy.apps[0].sucess: unknown key');
  });

  it('accepts the worked example of the adapter\'s README', () => {
    const readme = readFileSync(new URL('../../../adapters/forms-proxy/README.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const parsed = formsProxyConfigSchema.safeParse((parse(yaml) as { adapters: { formsProxy: unknown } }).adapters.formsProxy);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.apps.map((a) => a.name)).toEqual(['payroll', 'storage-admin', 'wiki']);
  });
});
