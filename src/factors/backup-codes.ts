/**
 * A user's backup codes (issue 19): ten single-use codes to sign in with when the phone is
 * lost. Codes are drawn from a CSPRNG, shown once, and stored only as Argon2id hashes (the
 * project's one secret-hash format, `src/hashing/secret-hash.ts`). A new set replaces the old
 * one in one transaction, together with the `backup-code` method row the challenge page lists.
 *
 * Ten decimal digits (about 33 bits) per code, typed into the challenge page's numeric field:
 * NIST SP 800-63B §5.1.2.1 asks look-up secrets for at least 20 bits when, as here, failed tries
 * are limited (the engine's lockout counts them like any other code).
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { hashSecret, verifySecret } from '../hashing/secret-hash.js';

export const BACKUP_CODE_KIND = 'backup-code';
export const BACKUP_CODE_COUNT = 10;
export const BACKUP_CODE_DIGITS = 10;

/** `12345 67890`: two groups, easier to copy from paper. */
export function formatBackupCode(code: string): string {
  return `${code.slice(0, 5)} ${code.slice(5)}`;
}

/** The digits of a typed code (spaces and dashes dropped), or null when it cannot be one. */
export function normalizeBackupCode(typed: string): string | null {
  const digits = typed.normalize('NFKC').replace(/[\s-]/g, '');
  return new RegExp(`^[0-9]{${BACKUP_CODE_DIGITS}}$`).test(digits) ? digits : null;
}

function newCode(): string {
  let s = '';
  for (let i = 0; i < BACKUP_CODE_DIGITS; i++) s += String(randomInt(10));
  return s;
}

export type ConsumeResult = { ok: true; remaining: number } | { ok: false; reason: 'MISMATCH' | 'REPLAY' };

export class BackupCodes {
  constructor(private readonly db: Kysely<Database>) {}

  /** Issues a new set (the old one stops working) and returns the codes, to show once. */
  async issue(userId: string, now: number): Promise<string[]> {
    const codes = Array.from({ length: BACKUP_CODE_COUNT }, newCode);
    const hashes = await Promise.all(codes.map((c) => hashSecret(c)));
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('backup_codes')
        .values(hashes.map((code_hash) => ({ id: randomUUID(), user_id: userId, code_hash, created_at: now, used_at: null })))
        .execute();
      const params = JSON.stringify({ remaining: codes.length });
      const existing = await trx.selectFrom('factors').select('id').where('user_id', '=', userId).where('kind', '=', BACKUP_CODE_KIND).executeTakeFirst();
      if (existing) {
        await trx.updateTable('factors').set({ params, confirmed: 1, created_at: now, last_used_at: null }).where('id', '=', existing.id).execute();
      } else {
        await trx
          .insertInto('factors')
          .values({ id: randomUUID(), user_id: userId, kind: BACKUP_CODE_KIND, label: null, secret_enc: null, params, is_default: 0, confirmed: 1, last_used_step: null, created_at: now, last_used_at: null })
          .execute();
      }
    });
    return codes;
  }

  /** How many codes of the current set are still unused. */
  async remaining(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('backup_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Whether the user holds a set at all (used up or not). */
  async issuedAt(userId: string): Promise<number | null> {
    const r = await this.db.selectFrom('backup_codes').select('created_at').where('user_id', '=', userId).executeTakeFirst();
    return r ? Number(r.created_at) : null;
  }

  /**
   * Accepts `digits` once. Every unused hash is checked (in parallel, so the time taken does not
   * tell where in the set a code sits); the match is claimed with a conditional UPDATE, so two
   * requests carrying the same code, on one host or two, cannot both pass.
   */
  async consume(userId: string, digits: string, now: number): Promise<ConsumeResult> {
    const rows = await this.db.selectFrom('backup_codes').select(['id', 'code_hash']).where('user_id', '=', userId).where('used_at', 'is', null).execute();
    const checks = await Promise.all(rows.map((r) => verifySecret(digits, r.code_hash)));
    const match = rows.find((_, i) => checks[i]!.ok);
    if (!match) return { ok: false, reason: 'MISMATCH' };
    const claimed = await this.db.updateTable('backup_codes').set({ used_at: now }).where('id', '=', match.id).where('used_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return { ok: false, reason: 'REPLAY' };
    const remaining = await this.remaining(userId);
    await this.db
      .updateTable('factors')
      .set({ params: JSON.stringify({ remaining }), last_used_at: now })
      .where('user_id', '=', userId)
      .where('kind', '=', BACKUP_CODE_KIND)
      .execute();
    return { ok: true, remaining };
  }
}
