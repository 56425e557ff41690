/**
 * The real `factorgate start` (built dist) with `server.workers`, and the means to see which
 * worker served what without any test hook in the product:
 * - every request carries its own `X-Request-Id`, and each worker's access log line names it
 *   beside the worker's pid (pino's `pid`);
 * - every request opens a fresh TCP connection, so node:cluster's round-robin hands consecutive
 *   requests to different workers (a kept-alive connection would stay on one);
 * - a connection held open mid-request is attributed to the worker holding its server-side socket
 *   by reading /proc/net/tcp and each worker's /proc/<pid>/fd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/free-port.js';
import { childPids } from '../../support/proc-children.js';
import { absorbSetCookies } from '../../support/http-client.js';
import { writeUsersFile, DEFAULT_USERS } from '../../support/host-harness.js';

const BIN = resolve('bin/factorgate.js');

export interface LogLine {
  pid: number;
  msg?: string;
  time: number;
  req?: { id?: string; url?: string };
  [key: string]: unknown;
}

export interface RunningCluster {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  logs(): LogLine[];
  /** The worker pids serving now (the primary's children). */
  workerPids(): number[];
  /** Resolves with the first log line `match` accepts (waiting up to `timeoutMs`). */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The pid of the worker whose access line names `requestId`. */
  servedBy(requestId: string): Promise<number>;
  /** Sends `signal` to the primary and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startCluster(dir: string, opts: { workers: number; store?: Record<string, unknown>; extra?: Record<string, unknown> }): Promise<RunningCluster> {
  await writeUsersFile(dir, DEFAULT_USERS);
  const port = await freePort();
  const config = {
    dataDir: join(dir, 'data'),
    server: { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, shutdownTimeoutSeconds: 10, workers: opts.workers },
    logging: { level: 'info' },
    directory: { type: 'file', path: 'users.yaml' },
    ...(opts.store ? { store: opts.store } : {}),
    ...opts.extra,
  };
  const configFile = join(dir, 'factorgate.yaml');
  writeFileSync(configFile, stringify(config));
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const lines: LogLine[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const cut = out.lastIndexOf('\n');
    if (cut < 0) return;
    for (const line of out.slice(0, cut).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    }
    out = out.slice(cut + 1);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const poll = async <T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> => {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (child.exitCode !== null) throw new Error(`factorgate exited (${child.exitCode}) before ${what}:\n${err}`);
      if (performance.now() > until) throw new Error(`timed out waiting for ${what}:\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await poll('the start banner', () => (/workers: /.test(err) ? true : undefined), 60_000);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stderr: () => err,
    logs: () => lines,
    workerPids: () => childPids(child.pid!),
    waitForLog: (match, timeoutMs = 30_000) => poll('a log line', () => lines.find(match), timeoutMs),
    servedBy: async (requestId) => (await poll(`the access line of ${requestId}`, () => lines.find((l) => l.req?.id === requestId && l.msg === 'request completed'), 10_000)).pid,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  requestId: string;
}

/** One request on its own new connection (no keep-alive), with a fresh X-Request-Id. */
export function freshRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Reply> {
  const requestId = `t-${randomUUID()}`;
  return new Promise((done, fail) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', agent: false, headers: { connection: 'close', 'x-request-id': requestId, ...init.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body, requestId }));
      res.on('error', fail);
    });
    req.setTimeout(init.timeoutMs ?? 20_000, () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end(init.body);
  });
}

/** A browser that opens a new connection for every request: a cookie jar, no automatic redirects. */
export class FreshConnectionBrowser {
  readonly cookies = new Map<string, string>();
  readonly requestIds: string[] = [];
  constructor(readonly baseUrl: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const reply = await freshRequest(new URL(path, this.baseUrl).href, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
    this.requestIds.push(reply.requestId);
    const setCookies = reply.headers['set-cookie'] ?? [];
    absorbSetCookies(this.cookies, Array.isArray(setCookies) ? setCookies : [setCookies]);
    return reply;
  }
}

/** A POST whose body is held back: the request is in flight on whichever worker took the connection. */
export interface HeldRequest {
  socket: Socket;
  clientPort: number;
  /** Sends the rest of the body; resolves with the status line, or null if the connection died without an answer. */
  finish(): Promise<string | null>;
}

export async function holdRequest(port: number, path: string): Promise<HeldRequest> {
  const body = 'username=alice&password=x';
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((ok, fail) => {
    socket.once('connect', ok);
    socket.once('error', fail);
  });
  let received = '';
  socket.setEncoding('utf8').on('data', (c: string) => (received += c));
  const closed = new Promise<void>((done) => {
    socket.once('close', () => done());
    socket.on('error', () => undefined);
  });
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nX-Request-Id: held-${randomUUID()}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  return {
    socket,
    clientPort: socket.localPort!,
    async finish() {
      if (!socket.destroyed) socket.write(body.slice(5));
      await closed;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      return status ? status[1]! : null;
    },
  };
}

/** The pid among `pids` holding the server side of the connection from `clientPort` to `serverPort`, or null. */
export function connectionOwner(serverPort: number, clientPort: number, pids: readonly number[]): number | null {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    if (f[1]!.endsWith(`:${hex(serverPort)}`) && f[2]!.endsWith(`:${hex(clientPort)}`)) inode = f[9];
  }
  if (!inode || inode === '0') return null;
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // the process is gone
    }
  }
  return null;
}

/** Waits until the held connection is owned by one of `pids` (the primary hands it over a moment after accepting). */
export async function ownerOf(port: number, held: HeldRequest, pids: readonly number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const owner = connectionOwner(port, held.clientPort, pids);
    if (owner !== null) return owner;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no worker holds the connection from port ${held.clientPort}`);
}
