/**
 * `LdapDirectory.list()` on a worker thread (issue 25 item 4): decoding the LDAP messages
 * (ldapts's BER reader and its UTF-8 decoding of every value) and mapping entries cost about as
 * much as the store writes of an import, and both ran on the one JavaScript thread. Here the
 * worker lists and maps (list-worker.ts) while the importer writes on the main thread; users cross
 * as plain objects, a page per message, at most `readAhead` users ahead (the worker waits for
 * the reader), so memory stays flat however large the directory.
 *
 * The worker sends either users (`list()`) or store rows built from them (`listRows()`, the
 * import's form: a row carries no field names and parses into one small array per user).
 *
 * Semantics are the in-thread listing's: the worker runs that very code on its own connection,
 * its log lines reach the directory's logger, and a failure is raised here as the same
 * `FactorgateError` (code and detail). A reader that stops early terminates the worker, which
 * closes its connection.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { FactorgateError, type ErrorCode } from '../../kit/errors.js';
import type { DirectoryRow, DirectoryUser, ListOptions } from '../directory.js';
import type { ResolvedLdapSettings } from './settings.js';

/** What the worker sends per user: the user, or its store row (user-columns.ts). */
export type ListShape = 'users' | 'rows';

export interface ListWorkerData {
  settings: ResolvedLdapSettings;
  options: ListOptions;
  shape: ListShape;
  /** Users per message. */
  pageSize: number;
  /** Users posted and not yet taken by the reader, at most. */
  readAhead: number;
  logLevel: string;
}

export type ToParent =
  /**
   * A page of users or rows as JSON: a string crosses threads as one copy, and JSON.parse on the
   * reader's thread costs half of what deserialising the same objects does (a DirectoryUser holds
   * only strings, numbers, booleans and arrays; absent and undefined fields read the same).
   */
  | { kind: 'page'; count: number; json: string }
  | { kind: 'log'; line: string }
  | { kind: 'done' }
  | { kind: 'error'; code: ErrorCode; detail: string };

/**
 * Default read-ahead: two of the importer's default batches (it takes nothing while it writes a
 * batch: its store calls do not yield to the event loop), about 10 MB of users.
 */
export const DEFAULT_READ_AHEAD = 10_000;

type Event = ToParent | { kind: 'stopped'; detail: string };

/**
 * How to start the worker module beside this one: the built .js file as it is; from TypeScript
 * sources (tests, `tsx`), a two-line bootstrap that registers tsx's loader in the new thread
 * first (Node 20 does not apply `--import` in a worker's execArgv), found through tsx's own
 * package.json exports.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  const fromSources = import.meta.url.endsWith('.ts');
  const module = new URL(fromSources ? './list-worker.ts' : './list-worker.js', import.meta.url);
  if (!fromSources) return { entry: module, eval: false };
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
  const source = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return { entry: source, eval: true };
}

const PINO_LEVEL: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function relog(log: Logger, line: string): void {
  try {
    // The worker's directory logs with the same bindings as `log` (component, directory).
    const { level, msg, component: _c, directory: _d, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
    log[PINO_LEVEL[level] ?? 'info'](fields, msg ?? '');
  } catch {
    log.warn('unreadable log line from the directory listing worker');
  }
}

type PageOf<S extends ListShape> = S extends 'rows' ? DirectoryRow[] : DirectoryUser[];

/** The listing, a page at a time, from a worker thread. */
export async function* listInWorker<S extends ListShape>(settings: ResolvedLdapSettings, options: ListOptions, shape: S, pageSize: number, log: Logger): AsyncGenerator<PageOf<S>> {
  const { entry, eval: evalSource } = workerEntry();
  const { readAhead = DEFAULT_READ_AHEAD, ...listOptions } = options;
  const data: ListWorkerData = { settings, options: listOptions, shape, pageSize, readAhead: Math.max(pageSize, readAhead), logLevel: log.level };
  const worker = new Worker(entry, { workerData: data, eval: evalSource });
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event): void => {
    events.push(e);
    wake?.();
  };
  worker.on('message', (m: ToParent) => push(m));
  worker.on('error', (err) => push({ kind: 'stopped', detail: `the listing's worker thread failed: ${err.message}` }));
  worker.on('exit', (code) => push({ kind: 'stopped', detail: `the listing's worker thread exited (${code}) before the end of the listing` }));
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const e = events.shift()!;
      switch (e.kind) {
        case 'page':
          worker.postMessage(e.count);
          yield JSON.parse(e.json) as PageOf<S>;
          break;
        case 'log':
          relog(log, e.line);
          break;
        case 'done':
          return;
        case 'error':
          throw new FactorgateError(e.code, { detail: e.detail });
        case 'stopped':
          throw new FactorgateError('DIRECTORY_UNAVAILABLE', { detail: `list users: ${e.detail}` });
      }
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
