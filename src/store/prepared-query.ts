/**
 * A hot-path query built and compiled by Kysely once, then run with new parameter values: the
 * query builder, its operation-node tree and the SQL compiler cost more per SSO response than
 * SQLite's execution of the small statements they produce (issue 25). Works the same on both
 * stores: Kysely compiles every value to a positional parameter (`?` on SQLite, `$n` on
 * PostgreSQL), so the SQL text of a shape never changes and only the parameter array does. On
 * SQLite the statement cache (statement-cache.ts) then also reuses the prepared statement.
 *
 * The shape is built with stand-ins for the named parameters (`param('id')`); compiling it shows
 * where each stand-in landed among the positional parameters, and `run` puts the real values
 * there. A parameter must be a single value (not a list an `in` expands) and the shape must not
 * depend on the values (no `if` on them while building).
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';
import { FactorgateError } from '../kit/errors.js';

/** A value standing for the named parameter while the shape is compiled (never reaches the database). */
type Param = <K extends string>(name: K) => never;

export interface PreparedQuery<P extends object, R> {
  /** The compiled SQL (for tests and logs). */
  readonly sql: string;
  /** Runs on the handle it was prepared with, or on `on` (a transaction of that database). */
  run(params: P, on?: Kysely<Database>): Promise<QueryResult<R>>;
}

type Slot = { name: string } | { name: null; value: unknown };

const STAND_IN = '\u0000factorgate-param:';

export function prepareQuery<P extends object, R>(db: Kysely<Database>, build: (db: Kysely<Database>, param: Param) => Compilable<R>): PreparedQuery<P, R> {
  const param = ((name: string) => `${STAND_IN}${name}`) as Param;
  const compiled: CompiledQuery<R> = build(db, param).compile();
  // Each positional parameter is either a named one (filled in per run) or a constant of the shape.
  const slots: Slot[] = compiled.parameters.map((value) => (typeof value === 'string' && value.startsWith(STAND_IN) ? { name: value.slice(STAND_IN.length) } : { name: null, value }));
  return {
    sql: compiled.sql,
    async run(params: P, on?: Kysely<Database>): Promise<QueryResult<R>> {
      const parameters = slots.map((s) => {
        if (s.name === null) return s.value;
        const v = (params as Record<string, unknown>)[s.name];
        if (v === undefined) throw new FactorgateError('STORE_ERROR', { detail: `prepared query: parameter ${s.name} is missing` });
        return v;
      });
      return (on ?? db).executeQuery<R>({ ...compiled, parameters });
    },
  };
}

const onHandle = new WeakMap<Kysely<Database>, Map<string, PreparedQuery<object, unknown>>>();

/**
 * `prepareQuery` for modules whose functions take the database handle per call (the challenge
 * steps, the regulation counters): the shape named `name` is compiled the first time it runs on
 * `db` and reused for that handle after. Keyed by the handle, so a query never runs on another
 * connection than the one it was prepared for (a transaction's handle gets its own).
 */
export function preparedOn<P extends object, R>(db: Kysely<Database>, name: string, build: (db: Kysely<Database>, param: Param) => Compilable<R>): PreparedQuery<P, R> {
  let shapes = onHandle.get(db);
  if (!shapes) onHandle.set(db, (shapes = new Map()));
  let q = shapes.get(name);
  if (!q) shapes.set(name, (q = prepareQuery<P, R>(db, build) as PreparedQuery<object, unknown>));
  return q as PreparedQuery<P, R>;
}
