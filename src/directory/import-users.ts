/**
 * Imports the directory's users into the store, and keeps them in sync on later runs.
 *
 * - Idempotent: a row is matched by `external_id` first, then by case-folded username (a row
 *   made before the directory knew it, e.g. from the file directory); an unchanged user is not
 *   written at all.
 * - Batched: each batch of users is one transaction, so a crash mid-import leaves only complete
 *   users behind, and the next run picks up where it stopped.
 * - Flat memory: users stream page by page from the directory, as store rows (`listRows()`, or
 *   `list()` mapped here), and go into the INSERTs' parameters as they are; the ids seen so far go to a
 *   temporary table, not to a JS set, so memory does not grow with the directory. On SQLite only
 *   the ids of rows that existed before the import go there: the sweep looks only at rows up to
 *   the table's highest rowid at the start, so a row this import adds needs no entry (on a first
 *   import that was a third of the store's work). PostgreSQL has no rowid: every id goes there.
 * - Users of this source the directory no longer returns (deleted, moved out of scope, removed
 *   from the group) are disabled after a *complete* listing, never deleted: their enrolled
 *   factors stay for the day they come back. A listing cut short disables nobody.
 */
import { SqliteAdapter, sql, type CompiledQuery, type Compilable, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { foldUsername, type Directory, type DirectoryRow, type ListOptions } from './directory.js';
import { DIRECTORY_ROW_COLUMNS, directoryRow } from './user-columns.js';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../store/schema.js';
import { systemClock, type Clock } from '../kit/clock.js';
import { randomFillSync } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';

export interface ImportCounts {
  /** Users the directory returned so far. */
  seen: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Entries that could not be stored (a sign-in name already owned by another identity). */
  errors: number;
}

export interface ImportSummary extends ImportCounts {
  /** Users of this source missing from the directory listing, now disabled. */
  disabled: number;
  dryRun: boolean;
  /** False when a `base` limited the listing: then nobody is disabled for being absent. */
  swept: boolean;
  durationMs: number;
}

export interface ImportUsersOptions {
  directory: Directory;
  db: Kysely<Database>;
  clock?: Clock | undefined;
  /** The `users.source` value of this directory's users. Default: `directory.kind`. */
  source?: string | undefined;
  /** Count what would change, write nothing. */
  dryRun?: boolean | undefined;
  /** Import only below this DN (LDAP); absent users elsewhere are then left alone. */
  base?: string | undefined;
  /**
   * Users per transaction. Default 5,000: SQLite commits (WAL index pages) dominate below that
   * (measured 14,000 users/s at 500, 19,000 at 5,000 from slapd), and one such transaction holds
   * the store's write lock for about 0.2 s, short enough for sign-ins to wait behind it.
   */
  batchSize?: number | undefined;
  /** Entries per directory page. Default: the directory's. */
  pageSize?: number | undefined;
  onProgress?: ((counts: Readonly<ImportCounts>) => void) | undefined;
  logger?: Logger | undefined;
}

export { foldUsername };

export const DEFAULT_IMPORT_BATCH = 5000;

type SeenDb = Database & { fg_import_seen: { external_id: string } };

const SEEN = 'fg_import_seen';

/** Columns compared to decide "unchanged"; everything the directory owns. */
const MANAGED = [...DIRECTORY_ROW_COLUMNS, 'source'] as const;
type Managed = Pick<UserRow, (typeof MANAGED)[number]>;
type StoredRow = Managed & Pick<UserRow, 'id'>;

/** Where a row's sign-in name and directory id are (see `DirectoryRow`). */
const USERNAME = 0;
const EXTERNAL_ID = 1;

/** The columns of a stored row that differ from the directory's row, or null. */
function diff(stored: StoredRow, want: DirectoryRow, source: string): Partial<Managed> | null {
  let patch: Record<string, unknown> | null = null;
  for (let k = 0; k < DIRECTORY_ROW_COLUMNS.length; k++) {
    const column = DIRECTORY_ROW_COLUMNS[k]!;
    if (stored[column] !== want[k]) (patch ??= {})[column] = want[k];
  }
  if (stored.source !== source) (patch ??= {}).source = source;
  return patch as Partial<Managed> | null;
}

export async function importUsers(options: ImportUsersOptions): Promise<ImportSummary> {
  const clock = options.clock ?? systemClock;
  const source = options.source ?? options.directory.kind;
  const dryRun = options.dryRun ?? false;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_IMPORT_BATCH);
  const started = clock.now();
  // SQLite runs every query on its one connection, so the temporary table stays visible without
  // pinning (pinning would hold the only connection, and stall sign-ins, for the whole import).
  // On PostgreSQL a temporary table belongs to one pooled connection: pin one.
  const sqlite = options.db.getExecutor().adapter instanceof SqliteAdapter;
  const run = (db: Kysely<Database>, rowidHighWater?: number): Promise<ImportSummary> =>
    runImport({ ...options, db, clock, source, dryRun, batchSize, started, rowidHighWater });
  if (!sqlite) return options.db.connection().execute((db) => run(db));
  const { top } = await sql<{ top: number | null }>`select max(rowid) as top from users`.execute(options.db).then((r) => r.rows[0]!);
  return run(options.db, top ?? 0);
}

interface RunOptions extends ImportUsersOptions {
  clock: Clock;
  source: string;
  dryRun: boolean;
  batchSize: number;
  started: number;
  /**
   * SQLite: the highest `users` rowid when the import started. SQLite gives a new row a rowid
   * above every existing one (short of 2^63 - 1), so rows above it were added during the import
   * and cannot be absent from it. Undefined on PostgreSQL.
   */
  rowidHighWater?: number | undefined;
}

/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER (3.32+); PostgreSQL allows 65535. */
const MAX_PARAMETERS = 32766;

type Executor = Kysely<SeenDb> | Transaction<SeenDb>;

/**
 * A multi-row INSERT of one shape, compiled once per row count. Kysely builds and compiles an
 * INSERT of n rows again on every call, which for a batch cost about as much as SQLite running
 * it; the SQL text for n rows never changes, so later chunks of n rows run that text with their
 * own values (and reach the store's statement cache as the same statement). Chunks are powers of
 * two, so an import produces a handful of SQL texts, not one per remainder.
 */
class ChunkedInsert {
  readonly #compiled = new Map<number, CompiledQuery>();
  readonly #maxRows: number;

  /** Rows are tuples of values in `columns` order. */
  constructor(
    private readonly columns: readonly string[],
    private readonly build: (db: Executor, rows: Record<string, unknown>[]) => Compilable,
    maxRows: number,
  ) {
    this.#maxRows = 2 ** Math.floor(Math.log2(Math.max(1, Math.min(maxRows, Math.floor(MAX_PARAMETERS / columns.length)))));
  }

  async run(db: Executor, rows: readonly (readonly unknown[])[]): Promise<void> {
    for (let i = 0; i < rows.length; ) {
      let n = this.#maxRows;
      while (n > rows.length - i) n >>= 1;
      await this.#runChunk(db, rows.slice(i, i + n));
      i += n;
    }
  }

  async #runChunk(db: Executor, rows: readonly (readonly unknown[])[]): Promise<void> {
    const parameters: unknown[] = [];
    let complete = true;
    for (const row of rows) {
      for (let k = 0; k < this.columns.length; k++) {
        const v = row[k];
        if (v === undefined) complete = false;
        parameters.push(v);
      }
    }
    const cached = complete ? this.#compiled.get(rows.length) : undefined;
    if (cached) {
      await db.executeQuery({ ...cached, parameters });
      return;
    }
    // Compiled from rows with their keys in `columns` order, so Kysely binds the values in the
    // order collected above; the text is reused only if it did (and no value was undefined,
    // which Kysely turns into DEFAULT): otherwise this chunk simply runs as compiled.
    const ordered = rows.map((row) => Object.fromEntries(this.columns.map((c, k) => [c, row[k]])));
    const compiled = this.build(db, ordered).compile();
    if (complete && compiled.parameters.length === parameters.length && compiled.parameters.every((p, k) => p === parameters[k])) {
      this.#compiled.set(rows.length, compiled);
    }
    await db.executeQuery(compiled);
  }
}

/** A new row's columns: its id, the directory's row as it came, then what the import sets. */
const USER_COLUMNS = ['id', ...DIRECTORY_ROW_COLUMNS, 'source', 'failed_attempts', 'locked_until', 'created_at', 'updated_at', 'last_sign_in_at'] as const;

/**
 * Directory ids seen so far, written to the temporary table a few thousand at a time in a
 * transaction of their own: written with every batch, the temporary database paid a commit per
 * batch (≈ 0.3 s of a 100,000-user import). Only the ids between two flushes are in memory.
 */
class SeenIds {
  static readonly FLUSH_AT = 4096;
  #pending: [external_id: string][] = [];
  readonly #insert: ChunkedInsert;

  constructor(private readonly db: Kysely<SeenDb>) {
    this.#insert = new ChunkedInsert(
      ['external_id'],
      (db, rows) =>
        db
          .insertInto(SEEN)
          .values(rows as { external_id: string }[])
          .onConflict((oc) => oc.column('external_id').doNothing()),
      SeenIds.FLUSH_AT,
    );
  }

  async add(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#pending.push([id]);
    if (this.#pending.length >= SeenIds.FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    await this.db.transaction().execute((trx) => this.#insert.run(trx, rows));
  }
}

/**
 * New users' ids: UUIDv7 (RFC 9562 §5.7) from the uuid package, with the import clock's
 * millisecond and, within one millisecond, a 32-bit counter in the place of `rand_a` and the top
 * of `rand_b` (§6.2 method 1, as uuid's own v7 does when it reads the clock itself) that starts at
 * a random 31-bit value: a batch's rows, which share a millisecond, get ids in write order, so
 * they are appended at the right edge of the `users.id` index instead of random leaves in it.
 * The remaining 42 bits are random, drawn from the CSPRNG 64 KB at a time: without `random`,
 * uuid's v7 asks `crypto.getRandomValues` for 16 bytes per id, whose Web Crypto checks cost
 * ≈ 4.5 µs per new user on the import's thread (profile, 2026-12-07). Each 16 bytes serve once.
 *
 * A user id is an identifier, not a secret, so 42 random bits (and a guessable order) are enough:
 * nothing relies on ids being unguessable (checked with grep, 2026-12-07). URLs name users by
 * user name (admin API) or carry random challenge / pending-row ids checked against the signed-in
 * user; sessions, remembered devices and browser bindings are random tokens (a device cookie's
 * HMAC binds the user id as data); the SAML pairwise NameID is an HMAC of the id under pairwiseKey.
 */
class NewUserIds {
  readonly #pool = new Uint8Array(16 * 4096);
  #at = this.#pool.length;
  #msecs = -1;
  #seq = 0;

  next(msecs: number): string {
    const random = this.#random();
    if (msecs !== this.#msecs || this.#seq >= 0xffffffff) {
      this.#msecs = msecs;
      this.#seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    } else this.#seq++;
    return timeOrderedUuid({ msecs, seq: this.#seq, random });
  }

  #random(): Uint8Array {
    if (this.#at === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const bytes = this.#pool.subarray(this.#at, this.#at + 16);
    this.#at += 16;
    return bytes;
  }
}

interface Writers {
  users: ChunkedInsert;
  seen: SeenIds;
  ids: NewUserIds;
}

function writers(db: Kysely<SeenDb>, batchSize: number): Writers {
  return {
    users: new ChunkedInsert(USER_COLUMNS, (db, rows) => db.insertInto('users').values(rows as NewUserRow[]), batchSize),
    seen: new SeenIds(db),
    ids: new NewUserIds(),
  };
}

async function runImport(o: RunOptions): Promise<ImportSummary> {
  const db = o.db.withTables<{ fg_import_seen: { external_id: string } }>() as unknown as Kysely<SeenDb>;
  await sql`create temporary table if not exists ${sql.table(SEEN)} (external_id text primary key)`.execute(db);
  await db.deleteFrom(SEEN).execute();
  const counts: ImportCounts = { seen: 0, added: 0, updated: 0, unchanged: 0, errors: 0 };
  try {
    // The directory may fetch two batches ahead (LDAP: on its worker thread) while one is written.
    const listOptions: ListOptions = { readAhead: 2 * o.batchSize, ...(o.base !== undefined ? { base: o.base } : {}), ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}) };
    const pages = rowPages(o.directory, listOptions, o.batchSize)[Symbol.asyncIterator]();
    const batches = new Batches(pages, o.batchSize);
    // Read one batch ahead: the next page travels from the directory while this one is
    // written, at the cost of one more batch in memory.
    const w = writers(db, o.batchSize);
    let next = batches.next();
    try {
      for (;;) {
        const batch = await next;
        if (batch.length === 0) break;
        next = batches.next();
        next.catch(() => undefined);
        await storeBatch(db, batch, o, counts, w);
      }
    } catch (err) {
      await pages.return?.(undefined)?.catch(() => undefined);
      throw err;
    }

    await w.seen.flush();
    const swept = o.base === undefined;
    const disabled = swept ? await disableAbsent(db, o) : 0;
    const summary: ImportSummary = { ...counts, disabled, dryRun: o.dryRun, swept, durationMs: o.clock.now() - o.started };
    o.logger?.info({ summary, source: o.source }, o.dryRun ? 'directory import (dry run)' : 'directory import');
    return summary;
  } finally {
    await db.deleteFrom(SEEN).execute().catch(() => undefined);
  }
}

/**
 * The directory's users as pages of store rows: its own `listRows()` where it has one (LDAP:
 * built on the listing's worker thread), else `list()` mapped here, `pageSize` users a page, so
 * that batches of that size are made of whole pages and a listing that fails keeps exactly the
 * complete batches before it.
 */
async function* rowPages(directory: Directory, options: ListOptions, pageSize: number): AsyncGenerator<readonly DirectoryRow[]> {
  if (directory.listRows) {
    yield* directory.listRows(options);
    return;
  }
  let page: DirectoryRow[] = [];
  for await (const user of directory.list(options)) {
    page.push(directoryRow(user));
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** Cuts pages of rows into batches of exactly `size` rows (the last one shorter; empty at the end). */
class Batches {
  #pending: DirectoryRow[] = [];
  #ended = false;

  constructor(
    private readonly pages: AsyncIterator<readonly DirectoryRow[]>,
    private readonly size: number,
  ) {}

  async next(): Promise<DirectoryRow[]> {
    while (!this.#ended && this.#pending.length < this.size) {
      const step = await this.pages.next();
      if (step.done) this.#ended = true;
      else for (const row of step.value) this.#pending.push(row);
    }
    if (this.#pending.length <= this.size) {
      const batch = this.#pending;
      this.#pending = [];
      return batch;
    }
    return this.#pending.splice(0, this.size);
  }
}

async function storeBatch(db: Kysely<SeenDb>, batch: DirectoryRow[], o: RunOptions, counts: ImportCounts, w: Writers): Promise<void> {
  const ids = [...new Set(batch.map((r) => r[EXTERNAL_ID]))];
  const names = [...new Set(batch.map((r) => r[USERNAME]))];
  const existing: StoredRow[] = await db
    .selectFrom('users')
    .select(['id', ...MANAGED])
    .where((eb) => eb.or([eb('external_id', 'in', ids), eb('username', 'in', names)]))
    .execute();
  const byExternalId = new Map<string, StoredRow>();
  const byUsername = new Map<string, StoredRow>();
  for (const row of existing) {
    if (row.external_id !== null) byExternalId.set(row.external_id, row);
    byUsername.set(row.username, row);
  }

  const now = o.clock.now();
  const inserts: unknown[][] = [];
  const inserted = new Set<string>();
  const updates: { id: string; patch: UserUpdate }[] = [];
  const claimed = new Map<string, string>();
  for (const want of batch) {
    counts.seen++;
    const username = want[USERNAME];
    const externalId = want[EXTERNAL_ID];
    const owner = byUsername.get(username);
    let row = byExternalId.get(externalId);
    // A row with this name but no directory id (or another source's) is the same person seen
    // before the import; a row with this name and another id of this source is someone else.
    if (!row && owner && (owner.external_id === null || owner.source !== o.source)) row = owner;
    const nameTakenBy = owner && owner.id !== row?.id ? owner : undefined;
    const claimedBy = claimed.get(username);
    if (claimedBy !== undefined && claimedBy !== externalId) {
      counts.errors++;
      o.logger?.warn({ username, externalId }, 'two directory entries share a sign-in name; the second is not imported');
      continue;
    }
    if (claimedBy !== undefined) {
      counts.unchanged++;
      continue;
    }
    if (nameTakenBy) {
      counts.errors++;
      o.logger?.warn(
        { username, externalId, heldBy: nameTakenBy.id },
        'sign-in name already belongs to another user; not imported until that one is renamed or removed',
      );
      continue;
    }
    claimed.set(username, externalId);
    if (!row) {
      // In USER_COLUMNS order. A time-ordered id (see NewUserIds): ≈ 3 µs of CPU less per new
      // user than random v4 ids at 90,000 users (bench/README, "LDAP import, third round").
      inserts.push([w.ids.next(now), ...want, o.source, 0, null, now, now, null]);
      if (o.rowidHighWater !== undefined) inserted.add(externalId);
      counts.added++;
      continue;
    }
    const patch = diff(row, want, o.source);
    if (!patch) {
      counts.unchanged++;
      continue;
    }
    updates.push({ id: row.id, patch: { ...patch, updated_at: now } });
    counts.updated++;
  }

  if (!o.dryRun) {
    await db.transaction().execute(async (trx) => {
      await w.users.run(trx, inserts);
      for (const { id, patch } of updates) {
        await trx.updateTable('users').set(patch).where('id', '=', id).execute();
      }
    });
  }
  // A new row lies above the rowid high-water mark, out of the sweep's reach (see RunOptions).
  await w.seen.add(inserted.size === 0 ? ids : ids.filter((id) => !inserted.has(id)));
  o.onProgress?.({ ...counts });
}

async function disableAbsent(db: Kysely<SeenDb>, o: RunOptions): Promise<number> {
  const existedBefore = sql<boolean>`rowid <= ${o.rowidHighWater ?? 0}`;
  const absent = (qb: Kysely<SeenDb>) =>
    qb
      .updateTable('users')
      .where('source', '=', o.source)
      .where('disabled', '=', 0)
      .$if(o.rowidHighWater !== undefined, (qb) => qb.where(existedBefore))
      .where((eb) =>
        eb.or([
          eb('external_id', 'is', null),
          eb.not(eb.exists(eb.selectFrom(SEEN).select(sql.lit(1).as('one')).whereRef(`${SEEN}.external_id`, '=', 'users.external_id'))),
        ]),
      );
  if (o.dryRun) {
    const { n } = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source', '=', o.source)
      .where('disabled', '=', 0)
      .$if(o.rowidHighWater !== undefined, (qb) => qb.where(existedBefore))
      .where((eb) =>
        eb.or([
          eb('external_id', 'is', null),
          eb.not(eb.exists(eb.selectFrom(SEEN).select(sql.lit(1).as('one')).whereRef(`${SEEN}.external_id`, '=', 'users.external_id'))),
        ]),
      )
      .executeTakeFirstOrThrow();
    return Number(n);
  }
  const result = await absent(db).set({ disabled: 1, updated_at: o.clock.now() }).executeTakeFirst();
  const n = Number(result.numUpdatedRows);
  if (n > 0) o.logger?.info({ disabled: n, source: o.source }, 'users absent from the directory disabled');
  return n;
}
