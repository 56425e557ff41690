/**
 * A small "legacy" web app with its own form login, mimicking ASP.NET forms authentication
 * behind IIS: a `.ASPXAUTH` cookie, `ReturnUrl`, and IIS's lenient reading of paths (any case,
 * trailing slash or dot, `;params`, `//`, `/./`, `%XX`, `\`). It serves the `npm start` demo and
 * is the real app the forms-proxy tests attack. Its path and body handling is written apart
 * from the proxy's normaliser on purpose: the tests prove the two agree, not that one file
 * agrees with itself.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { posix } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

export interface LegacyAppOptions {
  /** user name → password. */
  users?: Record<string, string>;
  port?: number;
  host?: string;
  /** A line shown above the login form (the demo names its accounts there). */
  hint?: string;
}

export interface LegacyApp {
  server: Server;
  url: string;
  port: number;
  /** Every login the app accepted (user names), to assert what reached it. */
  logins: string[];
  /** Every login form posted to it, accepted or not (user names). */
  attempts: string[];
  close(): Promise<void>;
}

export const DEMO_LEGACY_USERS: Readonly<Record<string, string>> = { alice: 'legacy-demo', bob: 'legacy-demo' };

/** How IIS reads a path before routing: decoded, `\` as `/`, no params, merged, no dots, any case. */
function iisPath(rawUrl: string): string {
  let p = rawUrl.split('?')[0]!;
  try {
    p = decodeURIComponent(p);
  } catch {
    return '/__bad__';
  }
  p = p.replace(/\\/g, '/').split('/').map((s) => s.split(';')[0]!.replace(/(?<=[^.])[. ]+$/, '')).join('/');
  p = posix.normalize(p.replace(/\/+/g, '/'));
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p.toLowerCase();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(returnUrl: string, error?: string, hint?: string): string {
  return page(
    'Contoso Intranet - Sign in',
    `${hint ? `<p class="hint">${escapeHtml(hint)}</p>` : ''}${error ? `<p class="error">${error}</p>` : ''}<form method="post" action="/Account/Login?ReturnUrl=${encodeURIComponent(returnUrl)}">
<label>User name <input name="username" id="username" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="signin">Sign in</button></form>`,
  );
}

/** A lenient multipart reader, as old frameworks had: first value of each name wins. */
function lenientMultipart(body: Buffer, contentType: string): Record<string, string> {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const part of body.toString('utf8').split(`--${m[1]}`)) {
    const nm = /name="([^"]*)"/i.exec(part);
    const sep = part.indexOf('\r\n\r\n');
    if (!nm || sep === -1) continue;
    if (!(nm[1]! in out)) out[nm[1]!] = part.slice(sep + 4).replace(/\r\n$/, '');
  }
  return out;
}

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return first(v[0]);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Minimal RFC 6455 echo: completes the handshake, then echoes text frames back unmasked. */
function websocketEcho(req: IncomingMessage, socket: Socket): void {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('error', () => socket.destroy());
  socket.on('data', (frame: Buffer) => {
    if (frame.length < 6) return;
    const opcode = frame[0]! & 0x0f;
    if (opcode === 0x8) {
      socket.end(Buffer.from([0x88, 0]));
      return;
    }
    const len = frame[1]! & 0x7f;
    if (len > 125) return;
    const mask = frame.subarray(2, 6);
    const payload = Buffer.from(frame.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
    socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
  });
}

export async function startLegacyApp(options: LegacyAppOptions = {}): Promise<LegacyApp> {
  const users = options.users ?? DEMO_LEGACY_USERS;
  const secret = randomBytes(32);
  const logins: string[] = [];
  const attempts: string[] = [];
  const ticket = (user: string): string => {
    const payload = Buffer.from(JSON.stringify({ u: user, n: randomBytes(8).toString('hex') })).toString('base64url');
    return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
  };
  const userOf = (req: Request): string | null => {
    const raw = /(?:^|;\s*)\.ASPXAUTH=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!raw) return null;
    const [payload, mac] = raw.split('.');
    if (!payload || !mac) return null;
    const want = createHmac('sha256', secret).update(payload).digest();
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u: string }).u;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // IIS routes on its own reading of the path; Express then sees the canonical spelling.
  app.use((req, _res, next) => {
    const q = req.url.indexOf('?');
    (req as Request & { originalPath?: string }).originalPath = req.url;
    req.url = iisPath(req.url) + (q === -1 ? '' : req.url.slice(q));
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(express.json({ limit: '1mb' }));
  app.use(express.raw({ type: 'multipart/form-data', limit: '1mb' }));
  // Method override as ASP.NET MVC and the method-override middleware read it.
  app.use((req, _res, next) => {
    let body = req.body as unknown;
    if (Buffer.isBuffer(body)) body = req.body = lenientMultipart(body, req.headers['content-type'] ?? '');
    const override =
      first(req.headers['x-http-method-override']) ?? first(req.headers['x-http-method']) ?? first(req.headers['x-method-override']) ?? first((body as Record<string, unknown> | undefined)?._method) ?? first(req.query._method);
    if (override) req.method = override.toUpperCase();
    next();
  });

  app.get('/account/login', (req, res) => {
    res.type('html').send(loginForm(first(req.query.ReturnUrl) ?? first(req.query.returnurl) ?? '/', undefined, options.hint));
  });
  app.post('/account/login', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // ASP.NET's Request["x"] looks in the query string before the form.
    const username = first(req.query.username) ?? first(body.username) ?? '';
    const password = first(req.query.password) ?? first(body.password) ?? '';
    const returnUrl = first(req.query.ReturnUrl) ?? first(req.query.returnurl) ?? '/';
    attempts.push(username);
    const expected = users[username];
    if (expected === undefined || expected !== password) {
      res.status(200).type('html').send(loginForm(returnUrl, 'Invalid username or password.', options.hint));
      return;
    }
    logins.push(username);
    res.cookie('.ASPXAUTH', ticket(username), { path: '/', httpOnly: true, sameSite: 'lax' });
    res.redirect(302, returnUrl.startsWith('/') && !returnUrl.startsWith('//') ? returnUrl : '/');
  });

  const requireAuth = (req: Request, res: Response): string | null => {
    const user = userOf(req);
    if (!user) res.redirect(302, `/Account/Login?ReturnUrl=${encodeURIComponent((req as Request & { originalPath?: string }).originalPath ?? '/')}`);
    return user;
  };
  app.get('/', (req, res) => {
    const user = requireAuth(req, res);
    if (user) res.type('html').send(page('Contoso Intranet', `<p id="welcome">Welcome, ${escapeHtml(user)}.</p><p><a href="/secret">Payroll</a> <a href="/logout">Sign out</a></p>`));
  });
  app.get('/secret', (req, res) => {
    const user = requireAuth(req, res);
    if (user) res.type('html').send(page('Payroll', `<p id="secret">Top secret payroll for ${escapeHtml(user)}.</p>`));
  });
  app.get('/logout', (_req, res) => {
    res.clearCookie('.ASPXAUTH', { path: '/' });
    res.redirect(302, '/Account/Login');
  });
  app.get('/public/style.css', (_req, res) => {
    res.type('css').send('body { font-family: sans-serif; }');
  });
  /** Redirects with an absolute URL naming the app's own host, as some apps do. */
  app.get('/go-secret', (req, res) => {
    res.cookie('pref', 'compact', { path: '/', domain: req.hostname });
    res.redirect(302, `http://${req.headers.host}/secret`);
  });
  /** Streams two parts with a pause between them (to show the proxy does not buffer). */
  app.get('/slow', (_req, res) => {
    res.type('text').write('first part\n');
    setTimeout(() => res.end('second part\n'), 300);
  });
  /** Dies in the middle of a reply. */
  app.get('/die', (_req, res) => {
    res.type('text').write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  /** Sends a header that a Connection option marks as hop-by-hop. */
  app.get('/hop', (_req, res) => {
    res.setHeader('connection', 'x-internal-route');
    res.setHeader('x-internal-route', 'backend-7');
    res.setHeader('x-visible', 'yes');
    res.send('ok');
  });
  /** Echoes what reached the app: headers and body size (for the proxy's header tests). */
  app.all('/echo', (req, res) => {
    res.json({ method: req.method, url: (req as Request & { originalPath?: string }).originalPath, headers: req.headers });
  });

  // Express's default error handler answers a bad body (malformed JSON, a form over the limit)
  // with the stack and the install path; the demo app answers with a plain page, as IIS's
  // custom errors do.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: unknown; statusCode?: unknown };
    const given = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    const status = given >= 400 && given < 600 ? given : 500;
    res
      .status(status)
      .type('html')
      .send(status < 500 ? page('Bad request', '<p>The request could not be read.</p>') : page('Server error', '<p>The page could not be shown.</p>'));
  });

  const server = createServer(app);
  const upgraded = new Set<Socket>();
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (iisPath(req.url ?? '/') === '/ws') websocketEcho(req, socket);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    logins,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of upgraded) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
