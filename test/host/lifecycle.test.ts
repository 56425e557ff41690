import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stringify } from 'yaml';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import { AdapterRegistry, RESERVED_PATHS, acceptsHostApi } from '../../src/host/adapter-registry.js';
import { SMS_INBOUND_PATH } from '../../src/factors/sms-reply-route.js';
import { VOICE_CALLBACK_PATH } from '../../src/factors/delivered-code-factor.js';
import { FRAUD_LINK_PATH } from '../../src/fraud/fraud-link.js';
import { WEBAUTHN_SCRIPT_PATH } from '../../src/factors/webauthn-script.js';
import { BACKUP_CODES_PATH } from '../../src/portal/backup-codes-routes.js';
import { PIN_PATH } from '../../src/portal/pin-routes.js';
import { ADMIN_API_PATH } from '../../src/admin/api/admin-api.js';
import { CONSOLE_PATH } from '../../src/admin/console/admin-sign-in.js';
import { startHost, makeTempDir, writeUsersFile, DEFAULT_USERS } from '../support/host-harness.js';
import { freePort } from '../support/free-port.js';

function adapter(over: Partial<AdapterDefinition>): AdapterDefinition {
  return { name: 'a-one', configKey: 'aOne', hostApi: '^2.0', mountPath: '/a-one', configSchema: z.object({}), create: () => ({ resume: async () => {} }), ...over };
}

/** An adapter at /a-one answering /hello, and /login too (which must stay under its own prefix). */
function helloAdapter(): AdapterDefinition {
  return adapter({
    create: () => ({
      resume: async () => {},
      routes(router) {
        router.get('/hello', (_req, res) => {
          res.send('hi');
        });
        router.get('/login', (_req, res) => {
          res.send('hijacked');
        });
      },
    }),
  });
}

describe('adapter registry', () => {
  it('refuses duplicate names, config keys, overlapping or reserved paths and host API ranges this host is outside of', () => {
    const r = new AdapterRegistry();
    r.register(adapter({}));
    expect(() => r.register(adapter({ configKey: 'x', mountPath: '/x' }))).toThrow(/registered twice/);
    expect(() => r.register(adapter({ name: 'bb', mountPath: '/b' }))).toThrow(/both claim config key aOne/);
    expect(() => r.register(adapter({ name: 'bb', configKey: 'b', mountPath: '/a-one/sub' }))).toThrow(/overlaps a-one/);
    expect(() => r.register(adapter({ name: 'bb', configKey: 'b', mountPath: '/mfa' }))).toThrow(/overlaps the host's \/mfa/);
    expect(() => r.register(adapter({ name: 'bb', configKey: 'b', mountPath: '/fraud' }))).toThrow(/overlaps the host's \/fraud/);
    expect(() => r.register(adapter({ name: 'bb', configKey: 'b', mountPath: '/sms' }))).toThrow(/overlaps the host's \/sms/);
    expect(() => r.register(adapter({ name: 'bb', configKey: 'b', mountPath: '/b', hostApi: '^3' }))).toThrow(/needs host API \^3/);
    expect(() => r.register(adapter({ name: 'host', configKey: 'h', mountPath: '/h' }))).toThrow(/reserved/);
    expect(acceptsHostApi('^2.0')).toBe(true);
    expect(acceptsHostApi('>=2.0 <3')).toBe(true);
    expect(acceptsHostApi('^2.99')).toBe(false);
    // 2.0 removed host.config, host.store and the host-wide secret box: a 1.x adapter is refused.
    expect(acceptsHostApi('^1.3')).toBe(false);
    expect(acceptsHostApi('^3')).toBe(false);
    expect(acceptsHostApi('not a range')).toBe(false);
  });

  it('mounts an adapter only under its own prefix', async () => {
    const h = await startHost({ adapters: [helloAdapter()], config: { adapters: { aOne: {} } } });
    try {
      expect(await (await fetch(`${h.url}/a-one/hello`)).text()).toBe('hi');
      const login = await (await fetch(`${h.url}/login`)).text();
      expect(login).not.toBe('hijacked');
      expect(login).toContain('name="password"');
    } finally {
      await h.close();
    }
  });

  it("dispatches adapters before the host's pages, which every lie under a reserved path (so no adapter can shadow one)", async () => {
    const h = await startHost({ adapters: [helloAdapter()], config: { adapters: { aOne: {} } } });
    try {
      // Every route of the app, with the path of the routers it is mounted in, in dispatch order.
      type Layer = { rawPath?: unknown; route?: { path: unknown }; handle: { stack?: Layer[] } };
      const routes: string[] = [];
      const walk = (stack: Layer[], prefix: string) => {
        for (const layer of stack) {
          if (layer.route) routes.push(`${prefix}${String(layer.route.path)}`);
          else if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack, typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? prefix + layer.rawPath : prefix);
        }
      };
      walk((h.host.app as unknown as { router: { stack: Layer[] } }).router.stack, '');
      const adapterRoute = routes.indexOf('/a-one/hello');
      const loginRoute = routes.indexOf('/login');
      expect(adapterRoute).toBeGreaterThanOrEqual(0);
      expect(loginRoute).toBeGreaterThan(adapterRoute);
      const hostRoutes = routes.filter((r) => !r.startsWith('/a-one/'));
      expect(hostRoutes.length).toBeGreaterThan(20);
      // Routes only some configurations mount (the SMS reply webhook, the voice callback, the
      // fraud link, the portal's and the console's pages) are reserved too.
      for (const r of [SMS_INBOUND_PATH, VOICE_CALLBACK_PATH, FRAUD_LINK_PATH, WEBAUTHN_SCRIPT_PATH, BACKUP_CODES_PATH, PIN_PATH, ADMIN_API_PATH, CONSOLE_PATH]) hostRoutes.push(r);
      for (const r of hostRoutes) {
        if (r === '/') continue;
        expect(RESERVED_PATHS.some((p) => r === p || r.startsWith(`${p}/`)), r).toBe(true);
      }
      // The order changes no answer: the adapter, the host's pages and an unknown path as before.
      expect(await (await fetch(`${h.url}/a-one/hello`)).text()).toBe('hi');
      expect(await (await fetch(`${h.url}/login`)).text()).toContain('name="password"');
      expect((await fetch(`${h.url}/a-one/nothing-here`)).status).toBe(404);
      expect((await fetch(`${h.url}/fraud/report`, { redirect: 'manual' })).status).not.toBe(404);
    } finally {
      await h.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, refuses new connections, and closes the store', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    const def = adapter({
      create: () => ({
        resume: async () => {},
        routes(router) {
          router.get('/slow', async (_req, res) => {
            entered();
            await gate;
            res.send('finished');
          });
        },
      }),
    });
    const h = await startHost({ adapters: [def], config: { adapters: { aOne: {} } } });
    const slow = fetch(`${h.url}/a-one/slow`).then((r) => r.text());
    await inFlight;
    const closing = h.host.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
    release();
    expect(await slow).toBe('finished');
    await closing;
    await expect(h.host.api.store.ping()).rejects.toThrow();
  });

  it('stops the real process on SIGTERM with exit code 0', async () => {
    const dir = makeTempDir();
    await writeUsersFile(dir, DEFAULT_USERS);
    const port = await freePort();
    writeFileSync(
      join(dir, 'factorgate.yaml'),
      stringify({ dataDir: join(dir, 'data'), server: { port, host: '127.0.0.1' }, directory: { type: 'file', path: 'users.yaml' } }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src/cli/main.ts'), 'start', '--config', join(dir, 'factorgate.yaml')], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FACTORGATE_CONFIG: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // tsx compiles src/ on the fly: on a loaded 2-core machine that alone can take over 10 s.
    for (let i = 0; i < 450 && !out.includes('factorgate listening') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('factorgate listening');
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('factorgate stopped');
  }, 90_000);
});
