/**
 * The worker-thread side of `LdapDirectory.list()` (see list-in-worker.ts): runs the ordinary
 * in-thread listing (its own connection, RFC 2696 paging, BER decoding in ldapts, `mapEntry`) and
 * posts the users, or their store rows, a page at a time, never more than `AHEAD` users ahead of the reader, so the
 * next batch is decoded while the importer writes the last one and memory stays bounded.
 * Log lines go to the parent's logger; a failure goes back as its error code and detail. Values
 * are decoded by attribute-decoding.ts (ldapts's result, without an exception per binary value);
 * store rows (`listRows`, the import) are read from the entries' bytes by search-entry-rows.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { FactorgateError } from '../../kit/errors.js';
import type { DirectoryRow, DirectoryUser } from '../directory.js';
import { LdapDirectory } from './ldap-directory.js';
import type { ListWorkerData, ToParent } from './list-in-worker.js';
import { useNonThrowingAttributeDecoding } from './attribute-decoding.js';

// This thread only lists: its ldapts decodes values without a thrown error per binary value.
useNonThrowingAttributeDecoding();

const port = parentPort!;
const data = workerData as ListWorkerData;

/** Users posted and not yet taken by the reader, at most (see list-in-worker.ts). */
const AHEAD = data.readAhead;

const post = (m: ToParent): void => port.postMessage(m);

let ahead = 0;
let wake: (() => void) | null = null;
port.on('message', (taken: number) => {
  ahead -= taken;
  wake?.();
});

// pino writes one JSON line per record; the parent re-logs it with its own bindings.
const logger = pino(
  { level: data.logLevel, base: null, timestamp: false },
  { write: (line: string) => post({ kind: 'log', line }) },
);

async function send(page: DirectoryUser[] | DirectoryRow[]): Promise<void> {
  while (ahead >= AHEAD) await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  ahead += page.length;
  post({ kind: 'page', count: page.length, json: JSON.stringify(page) });
}

async function main(): Promise<void> {
  const directory = new LdapDirectory(data.settings, { logger, listInWorker: false });
  try {
    // Both listings yield a page per server page (at most `pageSize` entries).
    const pages = data.shape === 'rows' ? directory.listRows(data.options) : pagesOf(directory.list(data.options));
    for await (const page of pages) await send(page);
    post({ kind: 'done' });
  } catch (err) {
    const known = err instanceof FactorgateError;
    post({
      kind: 'error',
      code: known ? err.code : 'DIRECTORY_UNAVAILABLE',
      detail: known ? (err.detail ?? err.message) : `list users: ${err instanceof Error ? err.message : String(err)}`,
    });
  } finally {
    // The parent terminates this thread once it has read the last message.
    await directory.close();
  }
}

async function* pagesOf(users: AsyncIterable<DirectoryUser>): AsyncGenerator<DirectoryUser[]> {
  let page: DirectoryUser[] = [];
  for await (const user of users) {
    page.push(user);
    if (page.length >= data.pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

void main();
