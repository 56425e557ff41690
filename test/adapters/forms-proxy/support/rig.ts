/**
 * One running set-up for the forms-proxy tests: the real legacy app, the adapter in front of
 * it on its own port, and a host (see fake-host.ts for which parts are stand-ins).
 */
import { createFormsProxy, type FormsProxyInstance } from '../../../../adapters/forms-proxy/index.js';
import { formsProxyConfigSchema } from '../../../../adapters/forms-proxy/config.js';
import { startLegacyApp, type LegacyApp } from '../../../fixtures/legacy-app/index.js';
import { createFakeHost, GOOD_CODE, type FakeHost } from './fake-host.js';
import { RawBrowser, type RawReply } from './raw-client.js';

export const ALICE = { username: 'alice', password: 'alice-legacy-pw' };

export interface Rig {
  legacy: LegacyApp;
  host: FakeHost;
  proxy: FormsProxyInstance;
  /** Origin of the proxied app (its own listener). */
  app: string;
  close(): Promise<void>;
}

export async function startRig(appOverrides: Record<string, unknown> = {}, hostOptions: { challengeTtlMs?: number; legacyDown?: boolean } = {}): Promise<Rig> {
  const legacy = await startLegacyApp({ users: { alice: ALICE.password, bob: 'bob-legacy-pw' } });
  const host = await createFakeHost({ directoryUsers: { alice: ALICE.password, bob: 'bob-legacy-pw' }, ...hostOptions });
  const config = formsProxyConfigSchema.parse({
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
  });
  if (hostOptions.legacyDown) await legacy.close();
  const proxy = await createFormsProxy(host.api, config);
  await host.listen(proxy);
  return {
    legacy,
    host,
    proxy,
    app: proxy.appOrigin('intranet'),
    async close() {
      await host.close();
      if (!hostOptions.legacyDown) await legacy.close();
    },
  };
}

export const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
export const URLENCODED = { 'content-type': 'application/x-www-form-urlencoded' };

export function hasAppCookie(reply: RawReply): boolean {
  return reply.setCookies.some((c) => c.startsWith('.ASPXAUTH=') && !/^\.ASPXAUTH=;/.test(c));
}

/** Posts the login form through the proxy and returns the reply (held or passed through). */
export function postLogin(b: RawBrowser, rig: Rig, fields: Record<string, string> = ALICE, path = '/Account/Login'): Promise<RawReply> {
  return b.send(rig.app, { method: 'POST', path, headers: URLENCODED, body: form(fields) });
}

/**
 * From a held login's 303 to the end of the challenge: follows to the start route, then posts
 * the code; answers the engine's reply (a 303 to the release URL on success).
 */
export async function completeChallenge(b: RawBrowser, rig: Rig, held: RawReply, code = GOOD_CODE): Promise<{ challengeId: string; resumed: RawReply }> {
  const start = await b.follow(held, rig.host.publicUrl);
  if (start.status !== 303) throw new Error(`start answered ${start.status}: ${start.body}`);
  const mfaPath = new URL(String(start.headers.location)).pathname;
  const challengeId = mfaPath.split('/').pop()!;
  const resumed = await b.send(rig.host.publicUrl, { method: 'POST', path: mfaPath, headers: URLENCODED, body: form({ code }) });
  return { challengeId, resumed };
}
