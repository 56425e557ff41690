/**
 * `factorgate keys rewrap`: re-seals every sealed value that uses an older key under the current
 * one, so the older key can be retired.
 *
 * - In batches, in primary-key order, one transaction per batch (short locks; hosts keep
 *   serving between batches).
 * - Resumable: the position (target key, column, last key done) is saved in the `kv` table in
 *   the batch's own transaction, so a stopped run continues where it was, and a run for another
 *   target key starts over.
 * - Safe beside running hosts: each row is written back with a conditional update (`… WHERE
 *   value = the value read`), so a host that rewrote the row meanwhile wins and nothing it wrote
 *   is lost; such rows are counted as `changed`.
 * - A value that cannot be opened (its key is not in the ring, or it was tampered with) is left
 *   as it is and reported by table and row key, never by content.
 */
import { sql, type Kysely } from 'kysely';
import type { SealedColumn } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import { FactorgateError } from '../kit/errors.js';
import { sealedKeyId, type SecretBox } from '../store/secret-box.js';
import type { Database } from '../store/schema.js';
import { columnName, type OwnedSealedColumn } from './sealed-columns.js';
import type { Resealer } from '../store/adapter/adapter-secrets.js';

export const REWRAP_CURSOR_KEY = 'keys.rewrap.cursor';

export interface RewrapCursor {
  /** The key values are moved to. */
  target: string;
  /** `table.column` being swept. */
  column: string;
  /** The last primary key done in that column. */
  after: string;
}

export interface ColumnReport {
  column: string;
  scanned: number;
  resealed: number;
  /** Rows a host rewrote (or deleted) between our read and our write: left to the host. */
  changed: number;
  failed: { key: string; reason: string }[];
}

export interface RewrapOptions {
  batchSize?: number;
  /** Called after each batch (progress lines; tests stop a run half-way by throwing). */
  onBatch?: (progress: { column: string; after: string; resealed: number }) => void | Promise<void>;
  /** Called between reading a page and writing it back: the window in which a host may write. */
  onPageRead?: (page: { column: string; keys: string[] }) => void | Promise<void>;
  /** The box of the adapter that owns a column (its values are sealed under its own subkeys). */
  adapterBox?: (adapter: string) => Resealer;
}

export interface RewrapReport {
  target: string;
  /** Where the run started from, when it resumed a stopped one. */
  resumedFrom: RewrapCursor | null;
  columns: ColumnReport[];
}

type AnyDb = Kysely<Database>;

async function readCursor(db: AnyDb): Promise<RewrapCursor | null> {
  const r = await sql<{ value: string }>`select value from kv where key = ${REWRAP_CURSOR_KEY}`.execute(db);
  const text = r.rows[0]?.value;
  if (text === undefined) return null;
  const c = JSON.parse(text) as Partial<RewrapCursor>;
  return typeof c.target === 'string' && typeof c.column === 'string' && typeof c.after === 'string' ? { target: c.target, column: c.column, after: c.after } : null;
}

async function writeCursor(db: AnyDb, cursor: RewrapCursor | null, now: number): Promise<void> {
  if (cursor === null) {
    await sql`delete from kv where key = ${REWRAP_CURSOR_KEY}`.execute(db);
    return;
  }
  const value = JSON.stringify(cursor);
  await sql`insert into kv (key, value, updated_at) values (${REWRAP_CURSOR_KEY}, ${value}, ${now})
            on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`.execute(db);
}

function describe(err: unknown): string {
  if (err instanceof FactorgateError) return err.detail ?? err.code;
  return err instanceof Error ? err.message : String(err);
}

async function sweepColumn(
  db: AnyDb,
  box: Resealer,
  col: SealedColumn,
  start: string,
  opts: { batchSize: number; clock: Clock } & Pick<RewrapOptions, 'onBatch' | 'onPageRead'>,
  report: ColumnReport,
): Promise<void> {
  const target = box.currentKeyId;
  const extra = (col.reads ?? []).map((c) => sql`, ${sql.ref(c)}`);
  let after = start;
  for (;;) {
    const page = await sql<Record<string, unknown>>`select ${sql.ref(col.key)} as fg_key, ${sql.ref(col.column)} as fg_value ${sql.join(extra, sql``)}
      from ${sql.table(col.table)}
      where ${sql.ref(col.key)} > ${after} and ${sql.ref(col.column)} is not null
      order by ${sql.ref(col.key)} limit ${opts.batchSize}`.execute(db);
    if (page.rows.length === 0) return;
    // Re-sealed outside the transaction (crypto holds no lock), written back in one.
    const writes: { key: string; value: string; next: string }[] = [];
    for (const row of page.rows) {
      const key = String(row.fg_key);
      const value = String(row.fg_value);
      report.scanned++;
      const kid = sealedKeyId(value);
      if (kid === null || kid === target) continue;
      try {
        const next = box.reseal(value, col.context({ ...row, [col.key]: key }));
        if (next !== null) writes.push({ key, value, next });
      } catch (err) {
        report.failed.push({ key, reason: describe(err) });
      }
    }
    after = String(page.rows[page.rows.length - 1]!.fg_key);
    await opts.onPageRead?.({ column: columnName(col), keys: writes.map((w) => w.key) });
    let resealed = 0;
    await db.transaction().execute(async (trx) => {
      for (const w of writes) {
        const r = await sql`update ${sql.table(col.table)} set ${sql.ref(col.column)} = ${w.next}
          where ${sql.ref(col.key)} = ${w.key} and ${sql.ref(col.column)} = ${w.value}`.execute(trx);
        if (Number(r.numAffectedRows ?? 0n) === 1) resealed++;
        else report.changed++;
      }
      await writeCursor(trx, { target, column: columnName(col), after }, opts.clock.now());
    });
    report.resealed += resealed;
    await opts.onBatch?.({ column: columnName(col), after, resealed });
    if (page.rows.length < opts.batchSize) return;
  }
}

/**
 * The columns whose table exists: a plugin listed in the configuration whose adapter has not run
 * on this store yet has no tables, and nothing of it to rewrap or count.
 */
export async function presentColumns<C extends SealedColumn>(db: AnyDb, columns: readonly C[]): Promise<C[]> {
  const tables = new Set((await db.introspection.getTables()).map((t) => t.name));
  return columns.filter((c) => tables.has(c.table));
}

export async function rewrapAll(
  db: AnyDb,
  box: SecretBox,
  columns: readonly OwnedSealedColumn[],
  clock: Clock,
  options: RewrapOptions = {},
): Promise<RewrapReport> {
  const batchSize = options.batchSize ?? 500;
  const target = box.currentKeyId;
  columns = await presentColumns(db, columns);
  const saved = await readCursor(db);
  const resume = saved !== null && saved.target === target && columns.some((c) => columnName(c) === saved.column) ? saved : null;
  const report: RewrapReport = { target, resumedFrom: resume, columns: [] };
  let skipping = resume !== null;
  for (const col of columns) {
    const name = columnName(col);
    if (skipping && name !== resume!.column) continue;
    const start = skipping ? resume!.after : '';
    skipping = false;
    const colReport: ColumnReport = { column: name, scanned: 0, resealed: 0, changed: 0, failed: [] };
    report.columns.push(colReport);
    const owner = col.owner ?? null;
    const colBox = owner === null ? box : options.adapterBox?.(owner);
    if (!colBox) throw new Error(`keys rewrap: column ${name} belongs to adapter ${owner}, and no adapter box was given`);
    await sweepColumn(db, colBox, col, start, { batchSize, clock, onBatch: options.onBatch, onPageRead: options.onPageRead }, colReport);
  }
  await writeCursor(db, null, clock.now());
  return report;
}

/** How many values of each column use `keyId` (what `keys retire` refuses on). */
export async function countValuesUsingKey(db: AnyDb, columns: readonly SealedColumn[], keyId: string): Promise<{ column: string; count: number }[]> {
  const prefix = `fg1.${keyId}.`;
  const out: { column: string; count: number }[] = [];
  for (const col of await presentColumns(db, columns)) {
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(col.table)}
      where substr(${sql.ref(col.column)}, 1, ${prefix.length}) = ${prefix}`.execute(db);
    out.push({ column: columnName(col), count: Number(r.rows[0]?.n ?? 0) });
  }
  return out;
}
