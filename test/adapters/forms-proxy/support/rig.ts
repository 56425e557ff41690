/**
 * One running set-up for the forms-proxy tests: the real legacy app, and the real host
 * (`createHost` through the test harness: challenge engine with TOTP enrolment, pages, CSRF,
 * browser binding, audit) with the adapter in front of the app on its own port.
 */
import { ManualClock } from '../../../../src/kit/clock.js';
import type { AdapterDefinition } from '../../../../src/api/host-api.js';
import { decodeBase32, generateTotp } from '../../../../src/otp/index.js';
import { createFormsProxy, formsProxyAdapter, type FormsProxyConfig, type FormsProxyInstance } from '../../../../adapters/forms-proxy/index.js';
import { startHost, type RunningHost } from '../../../support/host-harness.js';
import { startLegacyApp, type LegacyApp } from '../../../fixtures/legacy-app/index.js';
import { RawBrowser, type RawReply } from './raw-client.js';

/** alice's password at the legacy app (upstream mode) and in the host's directory (directory mode). */
export const ALICE = { username: 'alice', password: 'alice-password-1' };
export const CHALLENGE_TTL_MS = 300_000;

export interface Rig {
  legacy: LegacyApp;
  running: RunningHost;
  proxy: FormsProxyInstance;
  clock: ManualClock;
  /** Origin of the proxied app (its own listener). */
  app: string;
  /** The main listener (challenge pages, /forms-proxy routes). */
  main: string;
  logs: string[];
  close(): Promise<void>;
}

export interface RigOptions {
  legacyDown?: boolean;
  /** The host's clock; a ManualClock at a fixed date by default. */
  clock?: ManualClock;
  /** The host's `directory` section (default: the file directory with alice and bob). */
  directory?: Record<string, unknown>;
  /** More accounts the legacy app accepts (name → password). */
  legacyUsers?: Record<string, string>;
}

export async function startRig(appOverrides: Record<string, unknown> = {}, options: RigOptions = {}): Promise<Rig> {
  const legacy = await startLegacyApp({ users: { alice: ALICE.password, bob: 'bob-password-1', ...options.legacyUsers } });
  if (options.legacyDown) await legacy.close();
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  // The adapter as shipped, keeping hold of the instance the host creates (for its origin).
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
      ...(options.directory ? { directory: options.directory } : {}),
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
  if (!proxy) throw new Error('the host did not create the forms-proxy adapter');
  return {
    legacy,
    running,
    proxy,
    clock,
    app: proxy.appOrigin('intranet'),
    main: running.url,
    logs: running.logs,
    async close() {
      await running.close();
      if (!options.legacyDown) await legacy.close();
    },
  };
}

export const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
export const URLENCODED = { 'content-type': 'application/x-www-form-urlencoded' };

export function hasAppCookie(reply: RawReply): boolean {
  return reply.setCookies.some((c) => c.startsWith('.ASPXAUTH=') && !/^\.ASPXAUTH=;/.test(c));
}

/** Posts the login form through the proxy and returns the reply (held or passed through). */
export function postLogin(b: RawBrowser, rig: Pick<Rig, 'app'>, fields: Record<string, string> = ALICE, path = '/Account/Login'): Promise<RawReply> {
  return b.send(rig.app, { method: 'POST', path, headers: URLENCODED, body: form(fields) });
}

export function field(body: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m) throw new Error(`no field ${name} in page`);
  return m[1]!;
}

export function secretOnPage(body: string): Buffer {
  const m = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(body);
  if (!m) throw new Error(`no enrolment secret on the page: ${body.slice(0, 300)}`);
  const decoded = decodeBase32(m[1]!.replace(/ /g, ''));
  if (!decoded.ok) throw new Error('bad secret on the page');
  return decoded.bytes;
}

export interface ChallengeOptions {
  /** The enrolled TOTP secret; absent means the page enrols one (first sign-in). */
  secret?: Buffer;
  /** The code to answer (default: the right TOTP for the clock). */
  code?: (secret: Buffer) => string;
  /** Runs after the page was shown and before the answer (e.g. to move the clock). */
  beforeAnswer?: () => void;
}

/**
 * From the held login's 303, through the real challenge page: enrols TOTP when the page asks
 * (first sign-in) or answers it; returns the engine's reply and the TOTP secret.
 */
export async function passChallenge(b: RawBrowser, rig: Rig, held: RawReply, opts: ChallengeOptions = {}): Promise<{ resumed: RawReply; secret: Buffer }> {
  const start = await b.follow(held, rig.main);
  if (start.status !== 303) throw new Error(`start answered ${start.status}: ${start.body.slice(0, 300)}`);
  const mfaPath = String(start.headers.location);
  const page = await b.send(rig.main, { path: mfaPath });
  const secret = opts.secret ?? secretOnPage(page.body);
  opts.beforeAnswer?.();
  const code = opts.code ? opts.code(secret) : generateTotp(secret, rig.clock.now());
  const resumed = await b.send(rig.main, { method: 'POST', path: mfaPath, headers: URLENCODED, body: form({ _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code }) });
  return { resumed, secret };
}

/** A browser signed in through the proxy (held login, TOTP enrolled, reply released). */
export async function signedIn(rig: Rig, enrolled?: Buffer): Promise<{ browser: RawBrowser; secret: Buffer }> {
  const browser = new RawBrowser();
  const { resumed, secret } = await passChallenge(browser, rig, await postLogin(browser, rig), enrolled ? { secret: enrolled } : {});
  const released = await browser.follow(resumed, rig.app);
  if (!hasAppCookie(released)) throw new Error(`release answered ${released.status}`);
  return { browser, secret };
}

/** Audit rows the adapter wrote (in no particular order: the test clock stands still). */
export async function auditOf(rig: Rig): Promise<{ event: string; result: string; username: string | null; deny_reason: string | null }[]> {
  return rig.running.host.api.store.db
    .selectFrom('audit_events')
    .select(['event', 'result', 'username', 'deny_reason'])
    .where('adapter', '=', 'forms-proxy')
    .execute();
}
