/**
 * Assembles a factorgate host from a loaded configuration and the adapter definitions:
 * store, secrets, directory, users, audit, sessions, the challenge engine, the login page, the
 * adapters, and the Express app with health, metrics and the one error handler.
 */
import { resolve } from 'node:path';
import express from 'express';
import type { Kysely } from 'kysely';
import helmet from 'helmet';
import { createRequestLogger, quietAccessLine } from './logging.js';
import type { Logger } from 'pino';
import type { Server } from 'node:http';
import { systemClock, type Clock } from '../kit/clock.js';
import type { LoadedConfig } from './config/load.js';
import type { HostConfig } from '../config/schema.js';
import type {
  AdapterDefinition,
  AdapterInstance,
  AdapterLink,
  ChallengeOutcome,
  HostApi,
  SigningKeys,
} from '../api/host-api.js';
import { HOST_API_VERSION } from '../api/host-api.js';
import type { PasswordApi } from '../api/host-api.js';
import { checkPrimaryPassword } from '../primary-auth/check-password.js';
import { checkAppPassword } from '../primary-auth/check-app-password.js';
import { AdapterRegistry } from './adapter-registry.js';
import { migrateAdapters } from '../store/adapter/adapter-migrations.js';
import { OwnTablesOnly } from '../store/adapter/own-tables-only.js';
import { keyedState } from '../store/adapter/keyed-state.js';
import { CORE_EXPIRY, sweepExpired, type SweepTarget } from './sweep-expired.js';
import { createLogger, redactUrl } from '../audit/logger.js';
import { AuditLog } from '../audit/audit-log.js';
import { openStore, type Store } from '../store/store.js';
import { ensurePrivateDir } from '../store/private-files.js';
import { isStoreOutage } from '../store/store-outage.js';
import { SecretBox } from '../store/secret-box.js';
import { previousKeyGraceMs, secretKeysFor } from '../keys/secret-keys.js';
import { DerivedKeys } from '../store/derived-keys.js';
import { pinDerivationRoot } from '../keys/derivation-root.js';
import { loadOrCreateDevSigningKeys, signingKeysFrom } from './bootstrap/signing-keys.js';
import { ensureDemoUsers, type DemoCredential } from './bootstrap/demo-users.js';
import type { Directory } from '../directory/directory.js';
import { createDirectory } from './create-directory.js';
import { startDirectorySync } from '../directory/sync.js';
import { durationToMs } from '../kit/durations.js';
import { UserRepository } from '../users/user-repository.js';
import { CookiePolicy } from '../http/cookies.js';
import { Csrf, CSRF_KEY_INFO } from '../http/csrf.js';
import { SessionStore } from '../http/sessions.js';
import { StoreReplayCache } from './replay-cache.js';
import { createMetrics, metricsEndpoint } from '../kit/metrics.js';
import { createErrorHandler } from './error-handler.js';
import { OutageLog } from './outage-log.js';
import { FactorgateError } from '../kit/errors.js';
import { createPages } from './pages/page-api.js';
import { PendingLogins } from '../login/pending-logins.js';
import { PrimaryProviders } from './primary-registry.js';
import { mountLogin } from '../login/login-routes.js';
import { mountPinPortal } from '../portal/pin-routes.js';
import { mountBackupCodesPortal } from '../portal/backup-codes-routes.js';
import { mountMethodsPortal } from '../portal/methods-routes.js';
import { mountAppPasswordsPortal } from '../portal/app-passwords-routes.js';
import { AppPasswords } from '../users/app-passwords.js';
import { mountAccountPortal } from '../portal/account-routes.js';
import { createReauth, portalReturnPath } from '../portal/reauth.js';
import { createChangeNotices } from '../portal/change-notices.js';
import { userVerificationPolicy } from './user-verification-policy.js';
import { createChallengeEngine } from '../challenge/index.js';
import { BackupCodes, CODE_PEPPER_INFO, configuredMailer, createDefaultFactors, createDeliveredFactors } from '../factors/index.js';
import { createRegulator } from '../regulation/regulator.js';
import { gatePasswordChecks, PasswordCheckGate } from '../regulation/password-check-gate.js';
import { hashingMode } from '../hashing/niced-hash-pool.js';
import { createAdminConsole } from '../admin/console/admin-console.js';
import { ADMIN_API_PATH, createAdminApiRouter, renderApiError } from '../admin/api/admin-api.js';
import { AdminSessions } from '../admin/console/admin-sessions.js';
import { ADMIN_CONSOLE_ADAPTER } from '../admin/console/admin-sign-in.js';
import { usersPage } from '../admin/console/users/users-page.js';
import { UserAdmin } from '../admin/user-admin.js';
import { TokenRepository } from '../tokens/token-repository.js';

export interface CreateHostOptions {
  loaded: LoadedConfig;
  adapters: readonly AdapterDefinition[];
  clock?: Clock;
  logger?: Logger;
  /** Replaces the configured directory (tests). */
  directory?: Directory;
  /** Where dev signing keys are generated when `signing` is not configured. Default ./certs/dev. */
  devCertsDir?: string;
}

export interface Host {
  readonly app: express.Express;
  readonly api: HostApi;
  readonly config: HostConfig;
  readonly logger: Logger;
  /** Demo passwords created at this start (printed once by the CLI), empty otherwise. */
  readonly demoCredentials: readonly DemoCredential[];
  /** Starts the main listener and the adapters' own listeners; `url` is the bound address. */
  listen(): Promise<{ url: string; server: Server }>;
  /** The adapters' pages to open, at their public URLs (call after `listen`). */
  links(): AdapterLink[];
  /** Graceful stop: no new connections, in-flight requests finish, then the store closes. */
  close(): Promise<void>;
  /** Store + directory + adapters answering (what /readyz reports). */
  readiness(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export async function createHost(options: CreateHostOptions): Promise<Host> {
  const config = options.loaded.host;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logging.level });

  const registry = new AdapterRegistry();
  for (const def of options.adapters) registry.register(def);

  // The data folder is factorgate's own: created, or tightened, to 0700 before anything is written.
  try {
    const data = ensurePrivateDir(config.dataDir);
    if (data.tightened) logger.warn({ dataDir: config.dataDir }, 'the data folder was readable by others; its mode is now 0700');
    if (data.leftOpen) logger.warn({ dataDir: config.dataDir, reason: data.leftOpen }, 'the data folder is readable by others and was left so; choose a private dataDir');
  } catch (err) {
    // Not fatal here: a PostgreSQL host with configured keys writes nothing there; what does
    // need the folder fails below with its own error.
    logger.warn({ dataDir: config.dataDir, err }, 'the data folder cannot be created or made private');
  }
  const demoCredentials = config.demo && config.directory.type === 'file' ? await ensureDemoUsers(config.directory.path) : [];

  const keys = secretKeysFor(config);
  const secrets = new SecretBox(keys, clock);
  const derivedKeyOptions = { clock, graceMs: previousKeyGraceMs(config), since: clock.now() };

  const signing: SigningKeys = config.signing
    ? signingKeysFrom(config.signing.keys)
    : await loadOrCreateDevSigningKeys(options.devCertsDir ?? resolve(config.configFile ? resolve(config.configFile, '..') : process.cwd(), 'certs/dev'));

  const store: Store = await openStore(
    config.store.driver === 'sqlite'
      ? { driver: 'sqlite', file: config.store.path! }
      : {
          driver: 'postgres',
          connectionString: config.store.url,
          poolSize: config.store.poolSize,
          onConnectionError: (err) => logger.warn({ err }, 'an idle PostgreSQL connection failed; the pool opens a new one'),
        },
  );
  // Every registered adapter's own tables, as the core's own: they exist whether or not it is configured.
  await migrateAdapters(store.db as Kysely<unknown>, registry.all);
  // Pairwise identifiers derive from a root kept in the store, so retiring the oldest key keeps them.
  await pinDerivationRoot(store.db, secrets, keys, clock);
  // Every password check (file hash or LDAP bind), whoever asks, waits for one of a few turns.
  const passwordChecks = new PasswordCheckGate(config.regulation.passwordChecks.maxInFlight, durationToMs(config.regulation.passwordChecks.queueWait));
  const directory = gatePasswordChecks(options.directory ?? createDirectory(config.directory, { logger, clock }), passwordChecks);

  const cookies = new CookiePolicy(config.publicUrl);
  if (!cookies.secure && !['localhost', '127.0.0.1', '[::1]'].includes(new URL(config.publicUrl).hostname)) {
    logger.warn({ publicUrl: config.publicUrl }, 'server.publicUrl is plain HTTP on a non-local host: cookies are not Secure; put TLS in front');
  }
  const csrf = new Csrf(new DerivedKeys(keys, CSRF_KEY_INFO, derivedKeyOptions), cookies);
  const users = new UserRepository(store.db, clock);
  const audit = new AuditLog(store.db, clock, logger);
  const regulation = createRegulator({ config: config.regulation, db: store.db, clock, audit, logger });
  const sessions = new SessionStore(store.db, clock, cookies, config.session.lifetimeMinutes * 60_000, config.session.idleMinutes * 60_000);
  const replay = new StoreReplayCache(store.db, clock);
  const metrics = createMetrics();
  const pending = new PendingLogins(store.db, secrets, clock, cookies, config.challenge.ttlSeconds * 1000);

  const { pages, render, locale } = createPages({ branding: config.branding, clock, csrf });

  // The host's own "adapter": a user who signs in at /login directly ends on a signed-in page.
  const hostAdapter: AdapterInstance = {
    async resume(outcome: ChallengeOutcome, req, res) {
      if (outcome.result === 'denied') {
        pages.denied(req, res, outcome);
        return;
      }
      // A portal re-authentication goes back to the page it interrupted.
      res.redirect(303, portalReturnPath(outcome.continuation) ?? '/login');
    },
  };
  const instances = new Map<string, AdapterInstance>([['host', hostAdapter]]);

  // The /admin console: its sign-ins resume here like an adapter's; its pages are added below.
  const adminConsole = createAdminConsole({
    config: config.admin,
    branding: config.branding,
    directory,
    sessions: new AdminSessions(store.db, clock, cookies, durationToMs(config.admin.sessionIdle), durationToMs(config.admin.sessionMax)),
    pending,
    audit,
    pages,
    csrf,
    locale,
    logger,
    maxBodyBytes: config.server.maxBodyBytes,
  });
  instances.set(ADMIN_CONSOLE_ADAPTER, adminConsole.adapter);
  const userAdmin = new UserAdmin({ db: store.db, clock, audit, config, tokens: new TokenRepository(store.db, secrets, clock) });
  adminConsole.addPage(usersPage({ db: store.db, clock, userAdmin, bypass: config.admin.bypass, logger }));

  // The challenge engine calls `resolveAdapter(name).resume(...)` when a challenge ends.
  const resolveAdapter = (name: string): AdapterInstance | undefined => instances.get(name);
  const factors = [
    ...createDefaultFactors({ secrets, config, db: store.db, clock, publicUrl: config.publicUrl, logger, audit, userVerificationRequired: userVerificationPolicy(config, directory) }),
    ...createDeliveredFactors({ config, db: store.db, clock, logger, audit, users, secrets, peppers: new DerivedKeys(keys, CODE_PEPPER_INFO, derivedKeyOptions) }),
  ];
  const outsideGroup = config.directory.type === 'ldap' ? config.directory.outsideGroup : 'deny';
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
    resolveAdapter,
    outsideGroupPolicy: outsideGroup,
    factors,
    metrics,
    policies: config.policies,
  });

  const appPasswords = new AppPasswords(store.db);
  const passwords: PasswordApi = {
    check: (input) => checkPrimaryPassword({ directory, users, audit, regulation, outsideGroup }, input),
    checkAppPassword: (input) => checkAppPassword({ users, audit, regulation, appPasswords, clock }, input),
  };
  const primaries = new PrimaryProviders({ begin: (input) => pending.create(input) });
  const api: HostApi = {
    version: HOST_API_VERSION,
    db: (store.db as Kysely<unknown>).withPlugin(new OwnTablesOnly('host')) as HostApi['db'],
    state: keyedState(store.db, 'host', clock),
    config,
    store,
    secrets,
    directory,
    users,
    challenges: engine.api,
    login: primaries.loginApi(),
    primaries,
    sessions,
    audit,
    regulation,
    passwords,
    replay,
    keys: signing,
    pages,
    logger,
    clock,
    publicUrl: config.publicUrl,
  };


  const app = express();
  app.disable('x-powered-by');
  // Adapters that route by Host name see requests before helmet and the host's routes.
  app.use((req, res, next) => {
    for (const inst of instances.values()) if (inst.interceptRequest?.(req, res)) return;
    next();
  });
  app.set('trust proxy', config.server.trustedProxies.length > 0 ? config.server.trustedProxies : false);
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'upgrade-insecure-requests': cookies.secure ? [] : null,
        'form-action': ["'self'"],
        'img-src': ["'self'", 'data:', ...(config.branding.logoUrl ? [config.branding.logoUrl] : [])],
      },
    },
    strictTransportSecurity: cookies.secure,
  });
  const requestLog = createRequestLogger(logger, { redactUrl, ignore: (req) => req.url === '/healthz' || req.url === '/metrics' });
  app.use(securityHeaders);
  app.use(requestLog);
  app.use(metrics.middleware);

  const outages = new OutageLog(logger, clock, config.logging.outageIntervalSeconds * 1000);
  const readiness = async () => {
    const checks: Record<string, string> = {};
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
        checks[name] = 'ok';
      } catch (err) {
        const outage = !(err instanceof FactorgateError) && isStoreOutage(err);
        checks[name] = err instanceof FactorgateError ? err.code : outage ? 'STORE_UNAVAILABLE' : 'error';
        if (outage) outages.refused('store', { check: name, err }, 'the store is unavailable: readiness fails');
        else logger.warn({ check: name, err }, 'readiness check failed');
      }
    };
    await probe('store', () => store.ping());
    await probe('directory', () => directory.ping());
    for (const [name, inst] of instances) if (inst.ready) await probe(`adapter:${name}`, () => inst.ready!());
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  };

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await readiness();
    // A store outage is logged once per interval by the probe; the access line would repeat it.
    if (r.checks.store === 'STORE_UNAVAILABLE') quietAccessLine(res);
    res.status(r.ok ? 200 : 503).set('Cache-Control', 'no-store').json({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
  });
  app.get('/metrics', metricsEndpoint(metrics, { bearerToken: config.metrics.bearerToken, logger }));

  const hostRouter = express.Router();
  mountLogin(hostRouter, {
    users,
    challenges: engine.api,
    sessions,
    passwords,
    pending,
    csrf,
    logger,
    maxBodyBytes: config.server.maxBodyBytes,
    defaultPolicy: config.challenge.enrolmentPolicy,
    locale,
    render,
  });
  const reauth = createReauth({ challenges: engine.api, audit, clock });
  const notices = createChangeNotices({ db: store.db, mailer: configuredMailer(config, logger), factors, audit, clock, logger, productName: config.branding.productName, publicUrl: config.publicUrl });
  mountAccountPortal(hostRouter, { db: store.db, users, sessions, csrf, factors, locale, render });
  mountMethodsPortal(hostRouter, { db: store.db, users, sessions, audit, csrf, clock, reauth, notices, factors, directoryOwns: config.portal.directoryOwns, mfaRequired: config.challenge.enrolmentPolicy !== 'allow', maxBodyBytes: config.server.maxBodyBytes, locale, render });
  mountAppPasswordsPortal(hostRouter, { users, sessions, audit, csrf, clock, reauth, notices, appPasswords: new AppPasswords(store.db), maxBodyBytes: config.server.maxBodyBytes, locale, render });
  mountBackupCodesPortal(hostRouter, { users, sessions, audit, csrf, clock, reauth, notices, codes: new BackupCodes(store.db), maxBodyBytes: config.server.maxBodyBytes, locale, render });
  mountPinPortal(hostRouter, { db: store.db, users, sessions, audit, csrf, clock, notices, secrets, maxBodyBytes: config.server.maxBodyBytes, locale, render });
  engine.mount(hostRouter);
  app.use(hostRouter);

  // The admin API (issue 18) goes wherever the console goes, ahead of the console's guard; its
  // errors are JSON, through the same error handler with a JSON renderer.
  const adminApi = express.Router();
  adminApi.use(
    ADMIN_API_PATH,
    createAdminApiRouter({ db: store.db, clock, audit, regulation, logger, secrets, config, maxBodyBytes: config.server.maxBodyBytes }),
    createErrorHandler(logger, renderApiError, outages),
  );

  // With admin.listen the console has its own listener (sign-in and challenge pages included)
  // and the main one answers 404 under /admin; otherwise it sits on the main listener.
  const consoleApp = config.admin.listen ? express() : null;
  if (consoleApp) {
    consoleApp.disable('x-powered-by');
    consoleApp.set('trust proxy', app.get('trust proxy'));
    consoleApp.use(securityHeaders, requestLog, adminApi, hostRouter, adminConsole.router());
  } else {
    app.use(adminApi, adminConsole.router());
  }

  // What the sweep deletes: the core's declared tables, then each running adapter's `expiry`.
  const sweepTargets: SweepTarget[] = [{ owner: 'core', db: store.db, rules: CORE_EXPIRY }];

  // Adapters: each configured one is created with the host API and gets its own router.
  for (const def of registry.all) {
    if (!options.loaded.adapters.has(def.name)) continue;
    // Its own view of the host: its tables (migrated at start), its keyed state.
    const db = (store.db as Kysely<unknown>).withPlugin(new OwnTablesOnly(def.name));
    if (def.expiry?.length) sweepTargets.push({ owner: def.name, db, rules: def.expiry });
    const instance = await def.create({ ...api, db, state: keyedState(store.db, def.name, clock) }, options.loaded.adapters.get(def.name));
    instances.set(def.name, instance);
    if (instance.routes) {
      const router = express.Router();
      instance.routes(router);
      app.use(def.mountPath, metrics.mounted(def.mountPath), router);
    }
    logger.info({ adapter: def.name, mountPath: def.mountPath }, 'adapter loaded');
  }

  // Once per start: where password hashes run (issue 16: niced workers keep a spray off the SSO thread).
  const hashing = hashingMode();
  if (hashing.mode === 'in-thread') logger.warn({ hashing: hashing.mode, reason: hashing.reason }, 'password hashes run in-thread at normal priority');
  else logger.info({ hashing: hashing.mode, workers: hashing.workers }, 'password hashes run on niced worker threads');

  app.get('/', (_req, res) => {
    res.redirect(302, '/login');
  });
  const notFound: express.RequestHandler = (req, _res, next) => {
    next(new FactorgateError('NOT_FOUND', { detail: `${req.method} ${redactUrl(req.originalUrl)}` }));
  };
  const errorHandler = createErrorHandler(logger, (req, res, status, key, detail) => pages.error(req, res, status, key, detail), outages);
  app.use(notFound, errorHandler);
  consoleApp?.use(notFound, errorHandler);

  // Expired rows are swept every few minutes by whichever host runs; each sweep is idempotent.
  const sweep = setInterval(() => {
    void Promise.all([sweepExpired(sweepTargets, clock, logger), regulation.purge()]).catch((err: unknown) => logger.warn({ err }, 'sweep of expired rows failed'));
  }, 5 * 60_000);
  sweep.unref();

  let servers: Server[] = [];
  let closing: Promise<void> | undefined;
  let stopSync: (() => Promise<void>) | undefined;

  const host: Host = {
    app,
    api,
    config,
    logger,
    demoCredentials,
    readiness,
    links: () => [...instances.values()].flatMap((inst) => inst.links?.() ?? []),
    async listen() {
      const { createServer: createHttp } = await import('node:http');
      const { createServer: createHttps } = await import('node:https');
      const server = config.server.tls ? createHttps({ cert: config.server.tls.cert, key: config.server.tls.key }, app) : createHttp(app);
      server.headersTimeout = 20_000;
      server.on('upgrade', (req, socket, head) => {
        for (const inst of instances.values()) if (inst.interceptUpgrade?.(req, socket, head)) return;
        socket.destroy();
      });
      server.requestTimeout = 60_000;
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(config.server.port, config.server.host, () => {
          server.off('error', reject);
          resolveListen();
        });
      });
      servers = [server];
      if (consoleApp && config.admin.listen) {
        const consoleServer = config.server.tls ? createHttps({ cert: config.server.tls.cert, key: config.server.tls.key }, consoleApp) : createHttp(consoleApp);
        consoleServer.headersTimeout = 20_000;
        consoleServer.requestTimeout = 60_000;
        const { host: consoleHost, port: consolePort } = config.admin.listen;
        await new Promise<void>((resolveListen, reject) => {
          consoleServer.once('error', reject);
          consoleServer.listen(consolePort, consoleHost, () => {
            consoleServer.off('error', reject);
            resolveListen();
          });
        });
        servers.push(consoleServer);
        logger.info({ address: consoleServer.address() }, 'admin console listening on its own address (admin.listen)');
      }
      if (config.directory.type === 'ldap' && config.directory.sync.interval) {
        stopSync = startDirectorySync({ directory, db: store.db, clock, intervalMs: durationToMs(config.directory.sync.interval), logger, source: directory.kind });
      }
      for (const inst of instances.values()) for (const s of inst.servers?.() ?? []) servers.push(s);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
      return { url: `${config.server.tls ? 'https' : 'http'}://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}`, server };
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        await stopSync?.();
        const deadline = config.server.shutdownTimeoutSeconds * 1000;
        await Promise.all(
          servers.map(
            (s) =>
              new Promise<void>((done) => {
                const timer = setTimeout(() => {
                  s.closeAllConnections();
                }, deadline);
                timer.unref();
                s.close(() => {
                  clearTimeout(timer);
                  done();
                });
                s.closeIdleConnections();
              }),
          ),
        );
        for (const inst of instances.values()) await inst.close?.().catch((err: unknown) => logger.warn({ err }, 'adapter close failed'));
        await directory.close().catch(() => undefined);
        await store.close();
        logger.info('factorgate stopped');
        logger.flush?.();
      })();
      return closing;
    },
  };
  return host;
}
