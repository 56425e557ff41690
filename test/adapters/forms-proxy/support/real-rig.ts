/**
 * The forms proxy inside the real host (`createHost` through the test harness): the real
 * challenge engine with TOTP enrolment, pages, CSRF, browser binding and audit.
 */
import type { Kysely } from 'kysely';
import { ManualClock } from '../../../../src/host/clock.js';
import { decodeBase32, generateTotp } from '../../../../src/otp/index.js';
import * as m007 from '../../../../src/store/migrations/007-forms-proxy.js';
import { createFormsProxy, formsProxyAdapter, type FormsProxyConfig, type FormsProxyInstance } from '../../../../adapters/forms-proxy/index.js';
import type { AdapterDefinition } from '../../../../src/host/host-api.js';
import { startHost, type RunningHost } from '../../../support/host-harness.js';
import { startLegacyApp, type LegacyApp } from '../../../fixtures/legacy-app/index.js';
import { RawBrowser, type RawReply } from './raw-client.js';
import { ALICE, form, URLENCODED } from './rig.js';

export interface RealRig {
  legacy: LegacyApp;
  running: RunningHost;
  proxy: FormsProxyInstance;
  clock: ManualClock;
  app: string;
  close(): Promise<void>;
}

export async function startRealRig(appOverrides: Record<string, unknown> = {}, options: { legacyDown?: boolean } = {}): Promise<RealRig> {
  const legacy = await startLegacyApp({ users: { alice: ALICE.password } });
  if (options.legacyDown) await legacy.close();
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  // The same adapter, keeping hold of the instance the host creates (for the app's origin).
  let proxy: FormsProxyInstance | undefined;
  const recording: AdapterDefinition<FormsProxyConfig> = {
    ...formsProxyAdapter,
    async create(host, config) {
      proxy = await createFormsProxy(host, config);
      return proxy;
    },
  };
  const running = await startHost({
    clock,
    adapters: [recording as AdapterDefinition],
    config: {
      adapters: {
        formsProxy: {
          apps: [
            {
              name: 'intranet',
              listen: { port: 0, host: '127.0.0.1' },
              upstream: legacy.url,
              loginPaths: ['/Account/Login'],
              success: { status: [302], setCookie: '.ASPXAUTH' },
              publicPaths: ['/public/**'],
              logoutPath: '/logout',
              ...appOverrides,
            },
          ],
        },
      },
    },
  });
  // Until 007 is registered in src/store/migrations/index.ts, apply it here.
  const db = running.host.api.store.db as unknown as Kysely<unknown>;
  if (!(await running.host.api.store.db.introspection.getTables()).some((t) => t.name === 'forms_proxy_pending')) await m007.up(db);
  if (!proxy) throw new Error('the host did not create the forms-proxy adapter');
  return {
    legacy,
    running,
    proxy,
    clock,
    app: proxy.appOrigin('intranet'),
    async close() {
      await running.close();
      if (!options.legacyDown) await legacy.close();
    },
  };
}

export function field(body: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m) throw new Error(`no field ${name} in page`);
  return m[1]!;
}

/**
 * From the held login's 303, through the real challenge page: enrols TOTP when the page asks
 * (first sign-in) or answers it, and returns the engine's reply and the TOTP secret.
 */
export async function passChallenge(b: RawBrowser, rig: RealRig, held: RawReply, opts: { secret?: Buffer; code?: (secret: Buffer) => string; beforeAnswer?: () => void } = {}): Promise<{ resumed: RawReply; secret: Buffer }> {
  const start = await b.follow(held, rig.running.url);
  if (start.status !== 303) throw new Error(`start answered ${start.status}: ${start.body.slice(0, 300)}`);
  const mfaPath = String(start.headers.location);
  const page = await b.send(rig.running.url, { path: mfaPath });
  let secret = opts.secret;
  if (!secret) {
    const m = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(page.body);
    if (!m) throw new Error(`no enrolment on the page: ${page.body.slice(0, 300)}`);
    const decoded = decodeBase32(m[1]!.replace(/ /g, ''));
    if (!decoded.ok) throw new Error('bad secret');
    secret = decoded.bytes;
  }
  opts.beforeAnswer?.();
  const code = opts.code ? opts.code(secret) : generateTotp(secret, rig.clock.now());
  const resumed = await b.send(rig.running.url, { method: 'POST', path: mfaPath, headers: URLENCODED, body: form({ _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code }) });
  return { resumed, secret };
}
