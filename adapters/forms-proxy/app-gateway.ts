/**
 * The request pipeline of one proxied app. Every request is normalised once, then meets these
 * steps in order; the first that answers ends it, and the rest is streamed to the app:
 *
 *   1. release   `/.factorgate/release?t=…`: the held login, once, to the browser that began it
 *   2. logout    the configured logout path ends factorgate's session, then reaches the app
 *   3. login     a submission of the login form (any spelling) is held for the second factor
 *   4. protect   paths that need factorgate's session get it, or go to the login page
 *   5. proxy     everything else is streamed through; the app's session cookie is only ever
 *                set for a browser holding factorgate's session
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AdmittedAttempt, HostServices, UserRecord } from '../../src/sdk/adapter.js';
import { FactorgateError, isFactorgateError } from '../../src/sdk/adapter.js';
import type { AppSessions } from './app-sessions.js';
import type { FormsProxyAppConfig } from './config.js';
import { isCookieDeletion, readCookie, setCookieList, setCookieNameValue, type TrustedProxies } from './header-hygiene.js';
import { headerPairs, type HeldReply, type HeldRequest } from './held-login.js';
import { fetchFromApp, holdUpstreamReply, readReply, successRuleHolds } from './hold-upstream-reply.js';
import { candidateMethods, isLoginRequest, normalizeTarget, type AppPaths, type NormalizedTarget } from './normalize-request.js';
import { clearCookie, serializeCookie, type CookieSettings } from './own-cookies.js';
import { newToken, type PendingLogins } from './pending-logins.js';
import type { PassThrough } from './proxy.js';
import { extractCredentials, parseLoginFields, readBody } from './read-login-body.js';
import { releaseHeldReply } from './release-held-reply.js';

/**
 * The `messageKey` that asks `showError` for the host's page of a user outside the directory's
 * MFA group (`pages.denied`, reason NOT_IN_MFA_GROUP) instead of an error page.
 */
export const OUTSIDE_GROUP_PAGE = 'denied:NOT_IN_MFA_GROUP';

/** The audit detail of a user let through by `directory.outsideGroup: allow`, as /login writes it. */
const OUTSIDE_GROUP_ALLOWED = 'NOT_IN_MFA_GROUP: outside the directory group filter; passed without a second factor by directory.outsideGroup allow';

/** A user as the directory answers them (what `users.upsertFromDirectory` stores). */
type DirectoryUser = Parameters<HostServices['users']['upsertFromDirectory']>[0];

/** factorgate's reserved path on every app's origin (hand-off of the held login). */
export const RELEASE_PATH = '/.factorgate/release';

export interface AppRuntime {
  config: FormsProxyAppConfig;
  paths: AppPaths;
  pass: PassThrough;
  /** Peers whose X-Forwarded-For names the client. */
  trustedProxies: TrustedProxies;
  cookies: CookieSettings;
  /** The origin browsers use for this app. */
  publicOrigin(): string;
  /** Normalised form of RELEASE_PATH for this app's case rule. */
  releasePath: string;
}

/** Renders the host's error page on plain node request/response objects. */
export type ShowError = (req: IncomingMessage, res: ServerResponse, status: number, messageKey: string, publicDetail?: string) => void;

export interface GatewayDeps {
  host: HostServices;
  showError: ShowError;
  pending: PendingLogins;
  sessions: AppSessions;
  log: Logger;
  /** Where the main listener serves this adapter's routes (`/forms-proxy`). */
  mountPath: string;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  target: NormalizedTarget;
  /** Set once looked up (undefined: not yet; null: none). */
  sessionUserId?: string | null;
}

type Step = (app: AppRuntime, ctx: Ctx) => Promise<boolean>;

function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0]!.slice(0, 512);
}

function redirect(res: ServerResponse, status: number, location: string): void {
  res.setHeader('cache-control', 'no-store');
  res.writeHead(status, { location, 'content-length': '0' });
  res.end();
}

export function createAppGateway(deps: GatewayDeps, app: AppRuntime) {
  const { host, pending, sessions, log, showError } = deps;
  const cfg = app.config;
  const appLog = log.child({ app: cfg.name });
  const idleMs = cfg.session.idleMinutes * 60_000;
  // `directory.outsideGroup` (issue 26 item 8): what a user the group filter leaves out meets.
  const outsideGroup = host.server.outsideGroup;

  const clientIp = (req: IncomingMessage): string | undefined => app.trustedProxies.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);

  const audit = async (input: Parameters<HostServices['audit']['record']>[0]): Promise<void> => {
    try {
      await host.audit.record({ adapter: 'forms-proxy', relyingParty: cfg.name, ...input });
    } catch (err) {
      appLog.error({ err }, 'audit record failed');
    }
  };

  const sessionUser = async (ctx: Ctx): Promise<string | null> => {
    if (ctx.sessionUserId !== undefined) return ctx.sessionUserId;
    const token = readCookie(ctx.req.headers.cookie, app.cookies.names.session);
    ctx.sessionUserId = token ? ((await sessions.get(cfg.name, token, idleMs))?.userId ?? null) : null;
    return ctx.sessionUserId;
  };

  /**
   * The user as the directory answers now, stored (groups, disabled flag and password change time
   * refreshed at every sign-in, as /login does); `outside` when its group filter leaves them out
   * (not stored). A user the directory no longer has, or a directory that cannot be reached,
   * leaves the stored record (logged), as before the refresh existed.
   */
  const findUser = async (username: string): Promise<UserRecord | { outside: DirectoryUser } | null> => {
    const known = await host.users.findByUsername(username);
    let fromDirectory: DirectoryUser | null;
    try {
      fromDirectory = await host.directory.find(username);
    } catch (err) {
      if (!known) throw err;
      appLog.warn({ username, err }, 'directory unreachable: the stored user record is used (groups as of an earlier sign-in)');
      return known;
    }
    if (fromDirectory?.outsideMfaGroup) return { outside: fromDirectory };
    return fromDirectory ? host.users.upsertFromDirectory(fromDirectory, host.directory.kind) : known;
  };

  /** Stores the held login, binds it to this browser, and sends it to the challenge. */
  const sendToChallenge = async (ctx: Ctx, user: UserRecord, username: string, held: HeldReply | HeldRequest): Promise<void> => {
    const bindToken = newToken();
    const id = await pending.create({ app: cfg.name, username, userId: user.id, bindToken, held, ttlMs: cfg.pendingMinutes * 60_000 });
    appLog.info({ username, pendingId: id, kind: held.kind }, 'login held for the second factor');
    await audit({ event: 'forms-proxy.login-held', result: 'info', user, username, clientIp: clientIp(ctx.req) });
    ctx.res.setHeader('set-cookie', serializeCookie(app.cookies, app.cookies.names.bind, bindToken, cfg.pendingMinutes * 60));
    redirect(ctx.res, 303, `${host.publicUrl}${deps.mountPath}/start/${id}`);
  };

  const denyLogin = async (ctx: Ctx, username: string | null, reason: string, status: number, messageKey: string): Promise<void> => {
    appLog.warn({ username, reason }, 'login refused');
    await audit({ event: 'forms-proxy.login', result: 'denied', username: username ?? undefined, denyReason: reason, clientIp: clientIp(ctx.req) });
    showError(ctx.req, ctx.res, status, messageKey);
  };

  /** Writes a reply from the app (after a release) adding factorgate's own cookies. */
  const writeReplyWithCookies = (res: ServerResponse, status: number, statusMessage: string, headers: Record<string, string | string[] | undefined>, body: Buffer, cookies: string[]): void => {
    const flat = headerPairs(headers).filter(([k]) => k !== 'content-length' && k !== 'transfer-encoding');
    for (const c of cookies) flat.push(['set-cookie', c]);
    flat.push(['content-length', String(body.length)]);
    res.writeHead(status, statusMessage, flat.flat());
    res.end(body);
  };

  const release: Step = async (_app, ctx) => {
    if (ctx.target.path !== app.releasePath) return false;
    const { req, res } = ctx;
    if (req.method !== 'GET') throw new FactorgateError('BAD_REQUEST', { detail: 'release must be a GET' });
    const token = new URLSearchParams(ctx.target.query).get('t') ?? '';
    const bind = readCookie(req.headers.cookie, app.cookies.names.bind) ?? '';
    const released = token && bind ? await pending.release(cfg.name, token, bind) : null;
    if (!released) {
      appLog.warn({ hasToken: Boolean(token), hasBindCookie: Boolean(bind) }, 'release refused: unknown, expired, already used or another browser');
      await audit({ event: 'forms-proxy.release', result: 'denied', denyReason: 'RELEASE_REFUSED', clientIp: clientIp(req) });
      res.setHeader('set-cookie', clearCookie(app.cookies, app.cookies.names.bind));
      showError(req, res, 410, 'error.CHALLENGE_EXPIRED');
      return true;
    }
    await signInToApp(ctx, released);
    return true;
  };

  /**
   * Hands a login the user may have to the browser with factorgate's session for the app: the
   * held reply (upstream mode), or the held request sent to the app now (directory mode). After
   * the second factor (release), or at once for a user `directory.outsideGroup: allow` lets in.
   */
  const signInToApp = async (ctx: Ctx, login: { userId: string; username: string; methods: string[]; held: HeldReply | HeldRequest }): Promise<void> => {
    const { req, res } = ctx;
    const absoluteMs = cfg.session.absoluteMinutes * 60_000;
    // A session this browser held before (perhaps another user's) ends here; the new one has a
    // fresh id (no fixation, OWASP ASVS V3.2.1).
    await sessions.destroy(cfg.name, readCookie(req.headers.cookie, app.cookies.names.session));
    const held = login.held;
    const ownCookies = (sessionToken: string): string[] => [
      serializeCookie(app.cookies, app.cookies.names.session, sessionToken),
      clearCookie(app.cookies, app.cookies.names.bind),
    ];
    if (held.kind === 'reply') {
      const sessionToken = await sessions.create(cfg.name, login.userId, login.methods, absoluteMs);
      releaseHeldReply(res, held, ownCookies(sessionToken));
    } else {
      // Directory mode: the password was checked and the factor done; now the app signs in.
      req.method = held.method;
      req.url = held.url;
      const cookie = req.headers.cookie;
      req.headers = Object.fromEntries(held.headers.filter(([k]) => k !== 'cookie'));
      if (cookie) req.headers.cookie = cookie;
      const body = Buffer.from(held.bodyBase64, 'base64');
      const reply = await fetchFromApp(app.pass, req, res, body);
      const replyBody = await readReply(reply, cfg.maxHeldReplyBytes);
      const head = { status: reply.statusCode ?? 502, headers: reply.headers };
      const ok = successRuleHolds(cfg.success, head, replyBody, host.clock.now());
      const cookies = ok ? ownCookies(await sessions.create(cfg.name, login.userId, login.methods, absoluteMs)) : [clearCookie(app.cookies, app.cookies.names.bind)];
      if (!ok) appLog.warn({ username: login.username, status: head.status }, 'app refused a login the directory accepted');
      writeReplyWithCookies(res, head.status, reply.statusMessage ?? '', reply.headers, replyBody, cookies);
    }
    appLog.info({ username: login.username }, 'held login released');
    await audit({ event: 'forms-proxy.release', result: 'success', username: login.username, clientIp: clientIp(req) });
  };

  /**
   * A user the directory's group filter leaves out (issue 26 item 8), after a right password:
   * under `deny` their own page and no user row; under `allow` the login is released at once,
   * password only, audited as /login's allow path (method `none`, NOT_IN_MFA_GROUP in the detail).
   */
  const outsideGroupLogin = async (ctx: Ctx, username: string, directoryUser: DirectoryUser, held: HeldReply | HeldRequest): Promise<void> => {
    if (outsideGroup !== 'allow') {
      await denyLogin(ctx, username, 'NOT_IN_MFA_GROUP', 403, OUTSIDE_GROUP_PAGE);
      return;
    }
    const user = await host.users.upsertFromDirectory(directoryUser, host.directory.kind);
    if (user.disabled) {
      await denyLogin(ctx, username, 'USER_DISABLED', 403, 'error.FORBIDDEN');
      return;
    }
    appLog.warn({ username, reason: 'NOT_IN_MFA_GROUP', policy: outsideGroup }, 'user outside the MFA group let in without a second factor');
    await audit({ event: 'second-factor', result: 'success', user, username, method: 'none', detail: OUTSIDE_GROUP_ALLOWED, clientIp: clientIp(ctx.req) });
    await signInToApp(ctx, { userId: user.id, username, methods: [], held });
  };

  const logout: Step = async (_app, ctx) => {
    if (!app.paths.logout?.matches(ctx.target.path)) return false;
    const token = readCookie(ctx.req.headers.cookie, app.cookies.names.session);
    await sessions.destroy(cfg.name, token);
    appLog.info('factorgate session ended by the logout path');
    const clearing = clearCookie(app.cookies, app.cookies.names.session);
    app.pass.web(ctx.req, ctx.res, {
      inspect: (reply) => {
        reply.headers['set-cookie'] = [...setCookieList(reply.headers['set-cookie']), clearing];
      },
    });
    return true;
  };

  const login: Step = async (_app, ctx) => {
    const verdict = isLoginRequest(app.paths, ctx.req, ctx.target);
    if (verdict === 'no') return false;
    const { req, res } = ctx;
    const body = await readBody(req, cfg.maxLoginBodyBytes, req.headers['content-length']);
    const fields = parseLoginFields(body, req.headers);
    const creds = extractCredentials(fields, cfg.fields, ctx.target.query, req.headers.cookie);
    if (verdict === 'maybe' && !creds.methods.some((m) => app.paths.loginMethods.has(m))) {
      // A body on the login path that is not a login (say a PUT): the app gets it unchanged.
      await pass(app, ctx, body);
      return true;
    }
    const methods = [...candidateMethods(req, ctx.target.query), ...creds.methods];
    appLog.debug({ path: ctx.target.path, methods, fields: [...fields.keys()] }, 'login submission intercepted');

    if (cfg.primary === 'directory' && (!creds.username || !creds.password)) {
      await denyLogin(ctx, creds.username, 'MISSING_CREDENTIALS', 401, 'error.LOGIN_FAILED');
      return true;
    }
    // Regulation before anyone sees the password, the directory or the app: an account or client
    // over its limit is refused here (audited RATE_LIMITED), with one neutral "wait" page.
    const admission = await host.regulation.admit({ username: creds.username, clientIp: clientIp(req), event: 'forms-proxy.login', adapter: 'forms-proxy', relyingParty: cfg.name });
    if (!admission.admitted) {
      res.setHeader('retry-after', String(admission.retryAfterSeconds));
      showError(req, res, 429, 'error.RATE_LIMITED');
      return true;
    }
    try {
      if (cfg.primary === 'directory') return await directoryLogin(ctx, admission, creds.username!, creds.password!, body);
      return await appLogin(ctx, admission, creds.username, body);
    } catch (err) {
      // No verdict (directory or app unreachable, busy): the try is given back; a settled one stays.
      await admission.abandoned();
      throw err;
    }
  };

  /** Directory mode: factorgate checks the password, the app is asked only after the factor. */
  const directoryLogin = async (ctx: Ctx, admission: AdmittedAttempt, username: string, password: string, body: Buffer): Promise<boolean> => {
    const { req } = ctx;
    const result = await host.directory.authenticate(username, password);
    if (!result.ok) {
      await admission.failed();
      await denyLogin(ctx, username, result.reason, 401, 'error.LOGIN_FAILED');
      return true;
    }
    const held: HeldRequest = { kind: 'request', method: req.method ?? 'POST', url: req.url ?? '/', headers: headerPairs(req.headers), bodyBase64: body.toString('base64') };
    // Outside the directory's MFA group: `directory.outsideGroup` decides (issue 26 item 8).
    if (result.user.outsideMfaGroup) {
      await admission.succeeded();
      await outsideGroupLogin(ctx, username, result.user, held);
      return true;
    }
    const user = await host.users.upsertFromDirectory(result.user, host.directory.kind);
    if (user.disabled) {
      await admission.failed();
      await denyLogin(ctx, username, 'USER_DISABLED', 401, 'error.LOGIN_FAILED');
      return true;
    }
    await admission.succeeded();
    await sendToChallenge(ctx, user, username, held);
    return true;
  };

  /** App mode: the app checks the password; its "yes" is held, its "no" counts as a failure. */
  const appLogin = async (ctx: Ctx, admission: AdmittedAttempt, username: string | null, body: Buffer): Promise<boolean> => {
    const { req, res } = ctx;
    const decision = await holdUpstreamReply(app.pass, req, res, body, { rule: cfg.success, maxHeldReplyBytes: cfg.maxHeldReplyBytes, nowMs: host.clock.now() });
    if (decision.kind === 'passed') {
      await admission.failed();
      appLog.info({ username, status: decision.status }, 'app refused the login; reply passed through');
      await audit({ event: 'forms-proxy.login', result: 'failure', username: username ?? undefined, denyReason: 'APP_REFUSED', clientIp: clientIp(req) });
      return true;
    }
    await admission.succeeded();
    // The app said yes. Its reply waits until the second factor; nothing of it is sent now.
    if (!username) {
      await denyLogin(ctx, null, 'NO_USERNAME_IN_SUCCESSFUL_LOGIN', 403, 'error.FORBIDDEN');
      return true;
    }
    const user = await findUser(username);
    if (user && 'outside' in user) {
      await outsideGroupLogin(ctx, username, user.outside, decision.reply);
      return true;
    }
    if (!user || user.disabled) {
      await denyLogin(ctx, username, user ? 'USER_DISABLED' : 'UNKNOWN_USER', 403, 'error.FORBIDDEN');
      return true;
    }
    await sendToChallenge(ctx, user, username, decision.reply);
    return true;
  };

  const protect: Step = async (_app, ctx) => {
    const p = ctx.target.path;
    if (app.paths.login.matches(p) || app.paths.publicPaths.matches(p)) return false;
    if (app.paths.protect !== null && !app.paths.protect.matches(p)) return false;
    if (await sessionUser(ctx)) return false;
    const { req, res } = ctx;
    if (req.method === 'GET' || req.method === 'HEAD') {
      redirect(res, 302, cfg.loginPaths[0]!);
    } else {
      showError(req, res, 401, 'error.UNAUTHORIZED');
    }
    return true;
  };

  /**
   * Streams to the app. The app's session cookie reaches only a browser holding factorgate's
   * session: an endpoint that signs in without being listed as a login path (an API, an old
   * second login form) cannot hand out a session without the second factor.
   */
  const pass = async (_app: AppRuntime, ctx: Ctx, body?: Buffer): Promise<void> => {
    const guarded = cfg.success.setCookie;
    const hasSession = guarded ? Boolean(await sessionUser(ctx)) : true;
    if (hasSession || !guarded) {
      app.pass.web(ctx.req, ctx.res, body ? { body } : undefined);
      return;
    }
    app.pass.web(ctx.req, ctx.res, {
      ...(body ? { body } : {}),
      inspect: (reply) => {
        const cookies = reply.headers['set-cookie'];
        if (cookies === undefined) return;
        const all = setCookieList(cookies);
        const kept = all.filter((c) => setCookieNameValue(c).name !== guarded || isCookieDeletion(c, host.clock.now()));
        if (kept.length !== all.length) {
          appLog.warn({ path: ctx.target.path, status: reply.statusCode }, 'app set its session cookie outside the login flow; cookie withheld');
          reply.headers['set-cookie'] = kept;
        }
      },
    });
  };

  const steps: readonly Step[] = [release, logout, login, protect];
  const upgraded = new Set<Socket>();

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    const fe = isFactorgateError(err) ? err : new FactorgateError('INTERNAL', { cause: err, detail: err instanceof Error ? err.message : String(err) });
    const level = fe.status >= 500 ? 'error' : 'warn';
    // No query string in the log: the release link carries a one-time token there.
    appLog[level]({ error: fe.code, detail: fe.detail, method: req.method, path: pathOnly(req.url), ...(fe.status >= 500 && !isFactorgateError(err) ? { err } : {}) }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Part of the body may be unread: answer, then close the connection rather than read on
    // (RFC 9112 §9.6), so a refused upload cannot keep the socket busy.
    res.setHeader('connection', 'close');
    req.resume();
    showError(req, res, fe.status, `error.${fe.code}`, fe.expose ? fe.publicDetail : undefined);
  };

  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      try {
        const ctx: Ctx = { req, res, target: normalizeTarget(req.url ?? '', app.paths.options) };
        for (const step of steps) if (await step(app, ctx)) return;
        await pass(app, ctx);
      } catch (err) {
        fail(req, res, err);
      }
    },

    /** WebSocket upgrades meet the same protection rule as pages, then are spliced through. */
    async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
      socket.on('error', () => socket.destroy());
      // Upgraded sockets leave the HTTP server's books; close() must still end them.
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      try {
        const target = normalizeTarget(req.url ?? '/', app.paths.options);
        const ctx = { req, res: null as unknown as ServerResponse, target } satisfies Ctx;
        const open = app.paths.publicPaths.matches(target.path) || (app.paths.protect !== null && !app.paths.protect.matches(target.path));
        if (!open && !(await sessionUser(ctx))) {
          appLog.warn({ path: target.path }, 'WebSocket upgrade without factorgate session refused');
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        app.pass.ws(req, socket, head);
      } catch (err) {
        const status = isFactorgateError(err) ? err.status : 500;
        appLog.warn({ error: isFactorgateError(err) ? err.code : String(err) }, 'WebSocket upgrade refused');
        socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
    },

    /** Ends every spliced WebSocket (on shutdown). */
    closeUpgraded(): void {
      for (const s of upgraded) s.destroy();
      upgraded.clear();
    },
  };
}

export type AppGateway = ReturnType<typeof createAppGateway>;

/** Turns an upstream failure into a 502 page (or a closed socket) and one log line. */
export function upstreamErrorHandler(showError: ShowError, log: Logger, appName: string) {
  return (err: Error, req: IncomingMessage, target: ServerResponse | Socket): void => {
    log.error({ app: appName, errno: (err as NodeJS.ErrnoException).code, message: err.message, method: req.method, path: pathOnly(req.url) }, 'upstream app unreachable');
    if (!('writeHead' in target)) {
      target.destroy();
      return;
    }
    if (target.headersSent) {
      target.destroy();
      return;
    }
    try {
      showError(req, target, 502, 'error.UPSTREAM_UNAVAILABLE');
    } catch {
      target.statusCode = 502;
      target.end();
    }
  };
}
