/**
 * The expressions the users indexes are built on, for the queries that must use them. Both
 * stores index `lower(col)` for the case-insensitive look-ups (UPN, e-mail) and the console's
 * prefix search (migration 024); PostgreSQL builds them in the "C" collation, whose byte order
 * makes a prefix a range, and an equality under any deterministic collation holds exactly when
 * the bytes are equal, so `lower(col) COLLATE "C" = lower($1)` finds what the default collation
 * would, on the same index (migration 026 dropped the default-collation copies).
 *
 * Sign-in names are stored folded by every writer (`foldUsername`: NFKC, then toLowerCase), on
 * which SQLite's lower() (ASCII only) changes nothing: on SQLite the username's key is the
 * column itself, on its unique index (migration 026 dropped `users_username_search` there).
 */
import { PostgresAdapter, sql, type RawBuilder } from 'kysely';

export type UserKeyColumn = 'username' | 'upn' | 'email' | 'display_name' | 'phone' | 'mobile';

/** A Kysely instance or transaction: only its adapter (the store's dialect) is read. */
interface OnStore {
  getExecutor(): { readonly adapter: object };
}

/** The indexed, case-folded key of `column` on this store. */
export function userKey(db: OnStore, column: UserKeyColumn): RawBuilder<string> {
  const ref = sql.ref(column);
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return column === 'username' ? sql<string>`${ref}` : sql<string>`lower(${ref})`;
  return sql<string>`lower(${ref}) COLLATE "C"`;
}
