/**
 * The root of the keys that must never change (pairwise SAML NameIDs: a relying party links
 * its accounts by them). It was the ring's oldest key; retiring that key would have changed
 * every pairwise identifier. So the first host (or `keys retire`) stores the oldest key's bytes
 * in the `kv` table, sealed like any other secret (so `keys rewrap` carries it to new keys), and
 * every host derives from that stored root from then on.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { KeyEncryptionKey, SecretBox } from '../store/secret-box.js';
import type { Clock } from '../kit/clock.js';

export const DERIVATION_ROOT_KV = 'keys.derivation-root';

/** The secret-box context of a sealed `kv` value. */
export function kvContext(key: string): string {
  return `kv:${key}`;
}

/**
 * Reads the stored root, storing the oldest key's bytes first when there is none (two hosts at
 * once: the insert that loses is ignored and both read the winner), and pins it in `box`.
 */
export async function pinDerivationRoot(db: Kysely<Database>, box: SecretBox, ring: readonly KeyEncryptionKey[], clock: Clock): Promise<void> {
  const context = kvContext(DERIVATION_ROOT_KV);
  const sealed = box.encrypt(ring[0]!.key, context);
  await sql`insert into kv (key, value, updated_at) values (${DERIVATION_ROOT_KV}, ${sealed}, ${clock.now()}) on conflict (key) do nothing`.execute(db);
  const row = await db.selectFrom('kv').select('value').where('key', '=', DERIVATION_ROOT_KV).executeTakeFirstOrThrow();
  box.pinDerivationRoot(box.decrypt(row.value, context));
}
