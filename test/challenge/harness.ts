/**
 * A small host for the challenge tests: the engine built on `openStore` with the host's real
 * pieces (secret box, cookies, CSRF, sessions, audit, users, error handler), the test adapter
 * registered through the adapter registry, on a real listening port. Several harnesses on one
 * SQLite file are several hosts sharing a store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { createLogger } from '../../src/audit/logger.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { ManualClock } from '../../src/kit/clock.js';
import { CookiePolicy } from '../../src/http/cookies.js';
import { Csrf, CSRF_KEY_INFO } from '../../src/http/csrf.js';
import { DerivedKeys } from '../../src/store/derived-keys.js';
import { SessionStore } from '../../src/http/sessions.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { AdapterRegistry } from '../../src/host/adapter-registry.js';
import { createErrorHandler } from '../../src/host/error-handler.js';
import { rootConfigSchema, type RootConfigInput } from '../../src/config/schema.js';
import { t, pickLocale } from '../../src/kit/i18n.js';
import { html } from '../../src/kit/pages/html.js';
import { layout } from '../../src/kit/pages/layout.js';
import type { AdapterInstance, HostApi } from '../../src/api/host-api.js';
import { createPages } from '../../src/host/pages/page-api.js';
import { createChallengeEngine, type ChallengeEngineConfig } from '../../src/challenge/index.js';
import { RememberedDevices, REMEMBERED_DEVICE_KEY_PURPOSE } from '../../src/devices/remembered-devices.js';
import { createDefaultFactors } from '../../src/factors/index.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { testAdapter, type TestAdapterConfig, type TestAdapterRecord } from '../support/test-adapter.js';

/** One key ring for every harness: hosts sharing a store share its keys. */
export const TEST_KEY = Buffer.alloc(32, 7);

export interface HarnessOptions {
  /** SQLite file; a fresh temporary one when absent. */
  file?: string;
  /** Another store (a throwaway PostgreSQL); replaces `file`. */
  store?: StoreOptions;
  clock?: ManualClock;
  config?: Partial<Pick<RootConfigInput, 'challenge' | 'branding' | 'factors' | 'policies'>>;
  /** Express `trust proxy` (server.trustedProxies). Default: trust no one. */
  trustProxy?: string[];
  adapter?: Partial<TestAdapterConfig>;
  /** Where the log lines go (to check that no code reaches them). */
  logLines?: string[];
  publicUrl?: string;
  /** Listen on this port (a WebAuthn origin must be known before the factors are built). */
  port?: number;
}

export interface Harness {
  url: string;
  file: string;
  store: Store;
  clock: ManualClock;
  record: TestAdapterRecord;
  users: UserRepository;
  logLines: string[];
  close(): Promise<void>;
}

export function tempDbFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'fg-challenge-')), 'factorgate.db');
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const file = options.file ?? tempDbFile();
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const logLines = options.logLines ?? [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  const parsed = rootConfigSchema.parse({ ...(options.config ?? {}) });
  const config: ChallengeEngineConfig & { factors: typeof parsed.factors } = {
    challenge: parsed.challenge,
    branding: parsed.branding,
    server: parsed.server,
    factors: parsed.factors,
  };

  const store = await openStore(options.store ?? { driver: 'sqlite', file });
  const secrets = new SecretBox([{ id: 'test-1', key: TEST_KEY }]);
  const cookies = new CookiePolicy(options.publicUrl ?? 'http://localhost:8080');
  const csrf = new Csrf(new DerivedKeys([{ id: 'test-1', key: TEST_KEY }], CSRF_KEY_INFO, { clock, graceMs: 8 * 3600_000, since: clock.now() }), cookies);
  const users = new UserRepository(store.db, clock);
  const audit = new AuditLog(store.db, clock, logger);
  const sessions = new SessionStore(store.db, clock, cookies, 8 * 3600_000, 3600_000);

  const render = (req: Request, res: Response, status: number, key: string) => {
    const L = pickLocale(req, config.branding.defaultLocale);
    res
      .status(status)
      .type('html')
      .send(layout({ locale: L, title: t(L, 'page.title.error'), branding: config.branding, body: html`<h1>${t(L, 'page.title.error')}</h1><p class="error" role="alert" id="error">${t(L, key)}</p>` }));
  };
  // The host's own page builder (denied pages included); its error page keeps the test's `#error` id.
  const pages = { ...createPages({ branding: parsed.branding, clock, csrf }).pages, error: render };

  const registry = new AdapterRegistry();
  const def = testAdapter();
  registry.register(def as never);
  const instances = new Map<string, AdapterInstance>();

  const engine = createChallengeEngine({
    db: store.db,
    secrets,
    clock,
    logger,
    audit,
    users,
    sessions,
    csrf,
    cookies,
    config,
    branding: config.branding,
    resolveAdapter: (name) => instances.get(name),
    policies: parsed.policies,
    devices: new RememberedDevices(store.db, secrets.deriveKey(REMEMBERED_DEVICE_KEY_PURPOSE), cookies),
    factors: createDefaultFactors({
      secrets,
      config,
      ...(parsed.factors.webauthn ? { db: store.db, clock, logger, audit, publicUrl: options.publicUrl ?? 'http://localhost:8080' } : {}),
    }),
  });

  // Only what the test adapter touches is real; the rest of the host API is not under test here.
  const api = { version: '1.0.0', users, challenges: engine.api, sessions, audit, pages, logger, clock, secrets, store } as unknown as HostApi;
  const instance = await def.create(api, { relyingParty: 'test-relying-party', ...options.adapter });
  instances.set(def.name, instance);

  const app = express();
  app.set('trust proxy', options.trustProxy ?? false);
  const hostRouter = express.Router();
  engine.mount(hostRouter);
  app.use(hostRouter);
  const adapterRouter = express.Router();
  instance.routes!(adapterRouter);
  app.use(def.mountPath, adapterRouter);
  app.use(createErrorHandler(logger, (req, res, status, key) => render(req, res, status, key)));

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    file,
    store,
    clock,
    record: def.record,
    users,
    logLines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

export async function addUser(h: Pick<Harness, 'users'>, username: string, extra: Partial<{ displayName: string; email: string; phone: string }> = {}) {
  return h.users.upsertFromDirectory(
    { externalId: `ext-${username}`, username, givenName: 'Ada', surname: 'Lovelace', displayName: extra.displayName ?? 'Ada Lovelace', email: extra.email ?? `${username}@example.test`, phone: extra.phone, disabled: false },
    'test',
  );
}

/** A cookie jar over fetch: one per simulated browser. Redirects are not followed. */
export class Browser {
  readonly cookies = new Map<string, string>();
  acceptLanguage = 'en';

  constructor(public base: string) {}

  #store(res: globalThis.Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, decodeURIComponent(value));
    }
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    return { 'accept-language': this.acceptLanguage, ...(cookie ? { cookie } : {}), ...extra };
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    const res = await fetch(new URL(path, this.base), { redirect: 'manual', headers: this.#headers(headers) });
    this.#store(res);
    return { status: res.status, headers: res.headers, body: await res.text(), setCookies: res.headers.getSetCookie() };
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const res = await fetch(new URL(path, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: this.#headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      body: new URLSearchParams(form).toString(),
    });
    this.#store(res);
    return { status: res.status, headers: res.headers, body: await res.text(), setCookies: res.headers.getSetCookie() };
  }

  /** Starts a sign-in at the test adapter and returns the challenge path it redirected to. */
  async begin(username: string): Promise<string> {
    const r = await this.get(`/test-app/start?user=${encodeURIComponent(username)}`);
    if (r.status !== 303) throw new Error(`begin answered ${r.status}: ${r.body}`);
    return r.headers.get('location')!;
  }
}

export interface Page {
  status: number;
  headers: Headers;
  body: string;
  setCookies: string[];
}

export function field(body: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m) throw new Error(`no field ${name} in page`);
  return m[1]!;
}

export function secretOnPage(body: string): string {
  const m = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(body);
  if (!m) throw new Error('no secret on page');
  return m[1]!.replace(/ /g, '');
}

/** Enrols `username` through the page in browser `b`; returns the secret read off the page. */
export async function enrol(h: Pick<Harness, 'clock'>, b: Browser, username: string): Promise<Buffer> {
  const path = await b.begin(username);
  const page = await b.get(path);
  const secret = decodeBase32(secretOnPage(page.body));
  if (!secret.ok) throw new Error('bad secret on page');
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.bytes, h.clock.now()) });
  if (r.status !== 200) throw new Error(`enrolment answered ${r.status}`);
  return secret.bytes;
}

/** Fetches the challenge page and posts `code` with its form fields. */
export async function answer(b: Browser, path: string, code: string, extra: Record<string, string> = {}): Promise<Page> {
  const page = await b.get(path);
  return b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code, ...extra });
}
