/**
 * Every column of the core tables that holds a secret-box value, with the context it was sealed
 * under. A feature that adds a sealed column adds it here (or, for an adapter's own table, in the
 * adapter's `sealedColumns`): `keys rewrap` and `keys retire` only know the columns listed.
 */
import type { AdapterDefinition, SealedColumn } from '../api/host-api.js';
import { totpSecretContext } from '../factors/totp-factor.js';
import { continuationContext } from '../challenge/sealed-state.js';
import { loginContext } from '../login/pending-logins.js';
import { secretContext } from '../tokens/token-repository.js';
import { kvContext } from './derivation-root.js';
import { pinContext } from '../delivery/codes.js';

export const CORE_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'factors', key: 'id', column: 'secret_enc', context: (row) => totpSecretContext(String(row.id)) },
  { table: 'oath_tokens', key: 'id', column: 'secret_enc', reads: ['serial'], context: (row) => secretContext(String(row.serial)) },
  { table: 'challenges', key: 'id', column: 'continuation_enc', context: (row) => continuationContext(String(row.id)) },
  { table: 'pending_logins', key: 'id', column: 'continuation_enc', context: (row) => loginContext(String(row.id)) },
  // PIN hashes sealed with the ring as pepper; bare `scrypt$` ones from before are skipped.
  { table: 'user_pins', key: 'user_id', column: 'pin_hash', context: (row) => pinContext(String(row.user_id)) },
  // Only some kv values are sealed (the derivation root); the others are not `fg1.` values and are skipped.
  { table: 'kv', key: 'key', column: 'value', context: (row) => kvContext(String(row.key)) },
];

/** A sealed column and, for an adapter's table, the adapter whose own subkeys sealed it. */
export interface OwnedSealedColumn extends SealedColumn {
  owner?: string | undefined;
}

/** The core's sealed columns and those of every adapter given (their tables exist once migrated). */
export function sealedColumnsOf(adapters: readonly AdapterDefinition[]): OwnedSealedColumn[] {
  return [...CORE_SEALED_COLUMNS, ...adapters.flatMap((a) => (a.sealedColumns ?? []).map((c) => ({ ...c, owner: a.name })))];
}

export function columnName(c: SealedColumn): string {
  return `${c.table}.${c.column}`;
}
