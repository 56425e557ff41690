/**
 * The running forms proxy: each app's listener and request pipeline, the hand-back after the
 * challenge, the demo legacy app. Loaded by index.ts only when `adapters.formsProxy` is configured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { AdapterInstance, ChallengeOutcome, HostApi } from '../../src/sdk/adapter.js';
import { AppSessions } from './app-sessions.js';
import { createAppGateway, OUTSIDE_GROUP_PAGE, RELEASE_PATH, upstreamErrorHandler, type AppGateway, type AppRuntime, type ShowError } from './app-gateway.js';
import type { FormsProxyAppConfig, FormsProxyConfig } from './config.js';
import { startLegacyApp, DEMO_LEGACY_USERS, type LegacyApp } from './demo/legacy-app.js';
import { TrustedProxies } from './header-hygiene.js';
import { compileAppPaths, normalizeConfiguredPath } from './normalize-request.js';
import { sendContinuePage } from './continue-page.js';
import { cookieSettings } from './own-cookies.js';
import { PendingLogins, type FormsProxyTables } from './pending-logins.js';
import { createPassThrough } from './proxy.js';
import { ADAPTER_NAME, isContinuation, MOUNT_PATH, mountRoutes } from './routes.js';

/** `demoConfig` places the demo's proxy and legacy app beside the main port. */
const DEMO_PORTS_NOTE = 'its ports follow FACTORGATE_PORT: the proxy listens on the main port + 1, the legacy app on + 2';

export interface FormsProxyInstance extends AdapterInstance {
  /** The origin browsers use for an app (for port apps, known once its listener is bound). */
  appOrigin(appName: string): string;
  /**
   * For apps reached by Host name on the main listener: handles the request and returns true
   * when its Host header names such an app. The host calls it before its own routes.
   */
  handleHostRouted(req: IncomingMessage, res: ServerResponse): boolean;
  /** The same for WebSocket upgrades on the main listener. */
  upgradeHostRouted(req: IncomingMessage, socket: Socket, head: Buffer): boolean;
}

interface AppEntry {
  runtime: AppRuntime;
  gateway: AppGateway;
  server: Server | null;
  /** Records the port the app's listener got (port 0 picks one). */
  setPort(port: number): void;
}

function hostOf(req: IncomingMessage): string {
  const h = req.headers.host ?? '';
  return h.replace(/:\d+$/, '').toLowerCase();
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function startFormsProxy(host: HostApi<FormsProxyTables>, config: FormsProxyConfig): Promise<FormsProxyInstance> {
  const log = host.logger.child({ adapter: ADAPTER_NAME });
  const db = host.db;
  const pending = new PendingLogins(db, host.secrets, host.clock);
  const sessions = new AppSessions(db, host.clock);
  const mainUrl = new URL(host.publicUrl);
  const entries = new Map<string, AppEntry>();
  const byHostname = new Map<string, AppEntry>();
  const demoApps: LegacyApp[] = [];

  // The app listeners are plain node servers: Express on the pass-through path halved the
  // requests/s (bench/forms-proxy.ts). Error pages still need Express's request/response
  // helpers, so only they go through this one-route app.
  const errorApp = express();
  const errorArgs = new WeakMap<IncomingMessage, [number, string, string | undefined]>();
  errorApp.use((req, res) => {
    const [status, key, detail] = errorArgs.get(req) ?? [500, 'error.INTERNAL', undefined];
    if (key === OUTSIDE_GROUP_PAGE) host.pages.denied(req, res, { reason: 'NOT_IN_MFA_GROUP' });
    else host.pages.error(req, res, status, key, detail);
  });
  const showError: ShowError = (req, res, status, key, detail) => {
    errorArgs.set(req, [status, key, detail]);
    (errorApp as unknown as (req: IncomingMessage, res: ServerResponse) => void)(req, res);
  };

  const buildEntry = (cfg: FormsProxyAppConfig): AppEntry => {
    const upstream = new URL(cfg.upstream);
    let boundPort = 'port' in cfg.listen ? cfg.listen.port : 0;
    const publicOrigin = (): string => {
      if (cfg.publicUrl) return new URL(cfg.publicUrl).origin;
      if ('hostname' in cfg.listen) return `${mainUrl.protocol}//${cfg.listen.hostname}${mainUrl.port ? `:${mainUrl.port}` : ''}`;
      return `${mainUrl.protocol}//${mainUrl.hostname}:${boundPort}`;
    };
    const secure = (cfg.publicUrl ? new URL(cfg.publicUrl).protocol : mainUrl.protocol) === 'https:';
    const cookies = cookieSettings(cfg, secure);
    const paths = compileAppPaths(cfg);
    const trustedProxies = new TrustedProxies(cfg.trustedProxies ?? host.server.trustedProxies);
    const pass = createPassThrough({
      upstream,
      publicOrigin,
      cookieDomain: cfg.cookie.domain ?? '',
      trustedProxies,
      ownCookies: [cookies.names.session, cookies.names.bind],
      proxyTimeoutMs: cfg.proxyTimeoutSeconds * 1000,
      onUpstreamError: upstreamErrorHandler(showError, log, cfg.name),
      onTruncatedReply: (req) => log.warn({ app: cfg.name, method: req.method, path: (req.url ?? '').split('?')[0] }, 'upstream app cut its reply short'),
    });
    const runtime: AppRuntime = { config: cfg, paths, pass, trustedProxies, cookies, publicOrigin, releasePath: normalizeConfiguredPath(RELEASE_PATH, paths.options) };
    const gateway = createAppGateway({ host, showError, pending, sessions, log, mountPath: MOUNT_PATH }, runtime);
    let server: Server | null = null;
    if ('port' in cfg.listen) {
      const srv = createServer((req, res) => void gateway.handle(req, res));
      srv.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void gateway.upgrade(req, socket, head));
      // The host closes these servers itself; a spliced WebSocket would keep close() waiting
      // forever (closeAllConnections() ends only HTTP connections), so closing ends them too.
      const close = srv.close.bind(srv);
      srv.close = ((cb?: (err?: Error) => void) => {
        gateway.closeUpgraded();
        return close(cb);
      }) as typeof srv.close;
      server = srv;
    }
    return { runtime, gateway, server, setPort: (p) => (boundPort = p) };
  };

  for (const cfg of config.apps) {
    if (cfg.demoUpstream) {
      const u = new URL(cfg.upstream);
      const hint = `Demo legacy app: sign in as ${Object.keys(DEMO_LEGACY_USERS).join(' or ')} with the password ${Object.values(DEMO_LEGACY_USERS)[0]}; factorgate then asks for the second factor.`;
      demoApps.push(await startLegacyApp({ port: Number(u.port || 80), host: u.hostname, users: { ...DEMO_LEGACY_USERS }, hint }));
      log.info({ app: cfg.name, upstream: cfg.upstream }, 'demo legacy app started (its accounts are named on its login page)');
    }
    const entry = buildEntry(cfg);
    entries.set(cfg.name, entry);
    if ('hostname' in cfg.listen) byHostname.set(cfg.listen.hostname.toLowerCase(), entry);
  }

  // Per-app listeners are bound here, so `servers()` hands the host listening servers.
  for (const entry of entries.values()) {
    const cfg = entry.runtime.config;
    if (!entry.server || !('port' in cfg.listen)) continue;
    const port = await listen(entry.server, cfg.listen.port, cfg.listen.host ?? host.server.listen.host);
    entry.setPort(port);
    log.info({ app: cfg.name, listen: port, upstream: cfg.upstream, publicOrigin: entry.runtime.publicOrigin() }, 'forms-proxy app listening');
  }

  const instance: FormsProxyInstance = {
    routes(router) {
      mountRoutes(router, { host, pending, log });
    },

    async resume(outcome: ChallengeOutcome, req: Request, res: Response) {
      const cont = outcome.continuation;
      const entry = isContinuation(cont) ? entries.get(cont.app) : undefined;
      if (!isContinuation(cont) || !entry) {
        log.error({ challengeId: outcome.challengeId }, 'resume with an unknown continuation');
        host.pages.error(req, res, 400, 'error.BAD_REQUEST');
        return;
      }
      if (outcome.result === 'denied') {
        await pending.deny(cont.pendingId);
        log.warn({ app: cont.app, username: outcome.user.username, reason: outcome.reason }, 'second factor denied; held login discarded');
        host.pages.denied(req, res, outcome);
        return;
      }
      const token = await pending.verify(cont.pendingId, outcome.challengeId, { methods: outcome.methods, multiFactor: outcome.multiFactor });
      if (!token) {
        log.warn({ app: cont.app, username: outcome.user.username }, 'held login expired or already verified; not released');
        host.pages.error(req, res, 410, 'error.CHALLENGE_EXPIRED');
        return;
      }
      sendContinuePage(res, `${entry.runtime.publicOrigin()}${RELEASE_PATH}?t=${token}`, cont.app);
    },

    servers() {
      return [...entries.values()].flatMap((e) => (e.server ? [e.server] : []));
    },

    links() {
      return [...entries.values()].map(({ runtime: { config: cfg, publicOrigin } }) =>
        cfg.demoUpstream
          ? { label: 'demo legacy app behind the forms proxy', url: `${publicOrigin()}/`, note: DEMO_PORTS_NOTE }
          : { label: `app "${cfg.name}" behind the forms proxy`, url: `${publicOrigin()}/` },
      );
    },

    appOrigin(appName) {
      const e = entries.get(appName);
      if (!e) throw new Error(`no forms-proxy app named ${appName}`);
      return e.runtime.publicOrigin();
    },

    handleHostRouted(req, res) {
      const entry = byHostname.get(hostOf(req));
      if (!entry) return false;
      void entry.gateway.handle(req, res);
      return true;
    },

    upgradeHostRouted(req, socket, head) {
      const entry = byHostname.get(hostOf(req));
      if (!entry) return false;
      void entry.gateway.upgrade(req, socket, head);
      return true;
    },

    interceptRequest(req, res) {
      return instance.handleHostRouted(req, res);
    },

    interceptUpgrade(req, socket, head) {
      return instance.upgradeHostRouted(req, socket as Socket, head);
    },

    async ready() {
      await host.db.selectFrom('forms_proxy_sessions').select('id').limit(1).execute();
    },

    async close() {
      await Promise.all(
        [...entries.values()].map(async (e) => {
          e.gateway.closeUpgraded();
          e.runtime.pass.close();
          const server = e.server;
          if (!server?.listening) return;
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }),
      );
      await Promise.all(demoApps.map((a) => a.close()));
    },
  };
  return instance;
}
