/**
 * Rows in every sealed column (core and built-in adapters), sealed with a given box under the
 * contexts the product uses (the adapters' columns too: as the built-in adapters sealed them with
 * the host's box before host API 2.0, which `keys rewrap` moves into each adapter's subkeys), and a reader that opens them all again: what `keys rewrap` must
 * carry from one key to the next without losing a value.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/store/schema.js';
import { sealedKeyId } from '../../../src/store/secret-box.js';
import { sealedColumnsOf } from '../../../src/keys/sealed-columns.js';
import { adapterSecrets } from '../../../src/store/adapter/adapter-secrets.js';
import { SecretBox as Box, type KeyEncryptionKey } from '../../../src/store/secret-box.js';
import type { Clock } from '../../../src/kit/clock.js';
import { builtinAdapters } from '../../../adapters/index.js';

type SecretBox = Box;

export const SEALED_COLUMNS = sealedColumnsOf(builtinAdapters);

/** Each adapter's own box over `ring` (its subkeys), as the host and `keys rewrap` build it. */
export function adapterBoxes(ring: readonly KeyEncryptionKey[], clock: Clock): (adapter: string) => ReturnType<typeof adapterSecrets> {
  const host = new Box(ring, clock);
  return (adapter) => adapterSecrets(ring, host, adapter, clock);
}

/** Plaintext of row `i` of a column: distinct per row, so a swapped value would show. */
export const plain = (column: string, i: number) => `${column}#${i}`;

const rowId = (prefix: string, i: number) => `${prefix}-${String(i).padStart(4, '0')}`;

export async function seedSealedRows(db: Kysely<Database>, box: SecretBox, perColumn: number): Promise<void> {
  const now = 1_700_000_000_000;
  await db
    .insertInto('users')
    .values({ id: 'u1', username: 'alice', source: 'file', disabled: 0, failed_attempts: 0, created_at: now, updated_at: now, external_id: null, upn: null, display_name: null, given_name: null, surname: null, email: null, phone: null, mobile: null, locked_until: null, last_sign_in_at: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
  for (const col of SEALED_COLUMNS) {
    for (let i = 0; i < perColumn; i++) {
      const key = rowId(col.table, i);
      const ctx = col.context({ [col.key]: key, serial: `S-${key}` });
      const value = box.encrypt(plain(`${col.table}.${col.column}`, i), ctx);
      switch (col.table) {
        case 'factors':
          await sql`insert into factors (id, user_id, kind, secret_enc, params, is_default, confirmed, created_at) values (${key}, 'u1', 'totp', ${value}, '{}', 0, 1, ${now})`.execute(db);
          break;
        case 'oath_tokens':
          await sql`insert into oath_tokens (id, serial, kind, algorithm, digits, period, counter, secret_enc, created_at, updated_at) values (${key}, ${`S-${key}`}, 'hotp', 'SHA1', 6, 30, '00000000000000000000', ${value}, ${now}, ${now})`.execute(db);
          break;
        case 'challenges':
          await sql`insert into challenges (id, user_id, adapter, browser_hash, status, continuation_enc, created_at, expires_at) values (${key}, 'u1', 'test', 'h', 'pending', ${value}, ${now}, ${now + 1})`.execute(db);
          break;
        case 'pending_logins':
          await sql`insert into pending_logins (id, adapter, browser_hash, continuation_enc, created_at, expires_at) values (${key}, 'test', 'h', ${value}, ${now}, ${now + 1})`.execute(db);
          break;
        case 'forms_proxy_pending':
          await sql`insert into forms_proxy_pending (id, app, username, bind_hash, held_kind, held_enc, state, created_at, expires_at) values (${key}, 'app', 'alice', 'h', 'reply', ${value}, 'held', ${now}, ${now + 1})`.execute(db);
          break;
        case 'saml_bridge_requests':
          await sql`insert into saml_bridge_requests (id, upstream, browser_hash, payload_enc, created_at, expires_at) values (${key}, 'corp', 'h', ${value}, ${now}, ${now + 1})`.execute(db);
          break;
        case 'embed_signing_keys':
          await sql`insert into embed_signing_keys (kid, private_key, public_jwk, created_at, retire_at, expires_at) values (${key}, ${value}, '{}', ${now}, ${now + 1}, ${now + 1})`.execute(db);
          break;
        case 'user_pins':
          await sql`insert into users (id, username, source, disabled, failed_attempts, created_at, updated_at) values (${key}, ${key}, 'file', 0, 0, ${now}, ${now})`.execute(db);
          await sql`insert into user_pins (user_id, pin_hash, created_at, updated_at) values (${key}, ${value}, ${now}, ${now})`.execute(db);
          break;
        case 'kv':
          await sql`insert into kv (key, value, updated_at) values (${key}, ${value}, ${now})`.execute(db);
          break;
        default:
          throw new Error(`seedSealedRows does not know ${col.table}: add it`);
      }
    }
  }
}

export interface OpenedValue {
  column: string;
  key: string;
  kid: string | null;
  plaintext: string;
}

/**
 * Opens every sealed value with `box`, an adapter's columns with `adapterBox(adapter)` when given
 * (kv also holds plain values: skipped); throws on any that does not open.
 */
export async function openAll(db: Kysely<Database>, box: SecretBox, adapterBox?: (adapter: string) => Pick<SecretBox, 'decryptText'>): Promise<OpenedValue[]> {
  const out: OpenedValue[] = [];
  for (const col of SEALED_COLUMNS) {
    const extra = (col.reads ?? []).map((c) => sql`, ${sql.ref(c)}`);
    const rows = await sql<Record<string, unknown>>`select ${sql.ref(col.key)} as k, ${sql.ref(col.column)} as v ${sql.join(extra, sql``)} from ${sql.table(col.table)} where ${sql.ref(col.column)} is not null order by ${sql.ref(col.key)}`.execute(db);
    for (const r of rows.rows) {
      const v = String(r.v);
      if (col.table === 'kv' && sealedKeyId(v) === null) continue;
      const opener = col.owner && adapterBox ? adapterBox(col.owner) : box;
      out.push({ column: `${col.table}.${col.column}`, key: String(r.k), kid: sealedKeyId(v), plaintext: opener.decryptText(v, col.context({ ...r, [col.key]: r.k })) });
    }
  }
  return out;
}
