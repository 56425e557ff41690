/**
 * OATH hardware tokens in the store: import (all-or-nothing, or partial), assignment,
 * resynchronisation, and verification of a user's code against the tokens they hold.
 *
 * The importers (`pskc-import.ts`, `csv-import.ts`) only read files; this is where what they
 * found meets the store. Secrets are sealed with the secret box under `oath:<serial>:secret`
 * and never leave this file in plaintext except into the OTP core.
 *
 * A user's tokens appear to the challenge engine as one method: a `factors` row of kind
 * `oath`, kept present exactly while the user holds at least one enabled token, so the page
 * offers "Hardware token" once however many tokens the user has, and the code is tried
 * against each of them.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { resyncHotp, resyncTotp, verifyHotp, verifyTotp, type OtpAlgorithm } from '../otp/index.js';
import type { Database, OathTokensTable } from '../store/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import { systemClock, type Clock } from '../kit/clock.js';
import { foldUsername } from '../directory/file/file-directory.js';
import type { ImportedToken, ImportProblem, ImportProblemCode, ImportResult } from './token.js';
import { userKey } from '../store/user-keys.js';

/** Problems only the store can see, beside those the file itself has. */
export type StoreImportProblemCode = ImportProblemCode | 'SERIAL_EXISTS' | 'UNKNOWN_USER';

export interface StoreImportProblem extends Omit<ImportProblem, 'code'> {
  code: StoreImportProblemCode;
}

export interface TokenImportOptions {
  /** Store the good tokens even when others have problems. Default: all or nothing. */
  partial?: boolean;
  /**
   * Assign each token to the user its file names (PSKC `UserId`, Entra `upn`). Default true.
   * False imports every token unassigned, for a stock of tokens handed out later.
   */
  assign?: boolean;
}

export interface TokenImportReport {
  /** Whether anything was written: false when problems stopped an all-or-nothing import. */
  stored: boolean;
  imported: number;
  assigned: number;
  problems: StoreImportProblem[];
}

export type TokenErrorCode = 'TOKEN_NOT_FOUND' | 'USER_NOT_FOUND' | 'TOKEN_ASSIGNED' | 'RESYNC_FAILED' | 'TOKEN_UNUSABLE';

/** An administrator's request that cannot be carried out; the message says why. */
export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/** What `list` shows: everything but the secret. */
export interface TokenSummary {
  id: string;
  serial: string;
  kind: 'hotp' | 'totp';
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  /** HOTP: the next counter expected. */
  counter: bigint;
  driftSteps: number;
  userId: string | null;
  username: string | null;
  disabled: boolean;
  manufacturer: string | null;
  model: string | null;
  lastUsedAt: number | null;
}

export type TokenVerifyFailure = 'MISMATCH' | 'REPLAY' | 'MALFORMED' | 'UNUSABLE';

export type TokenVerifyResult = { ok: true; serial: string; tokenId: string } | { ok: false; reason: TokenVerifyFailure };

export interface TokenVerifyOptions {
  /** HOTP look-ahead (RFC 4226 §7.4 parameter s). Default 10. */
  lookAhead?: number;
  /** TOTP steps accepted either side of the token's expected step (RFC 6238 §5.2). Default 1. */
  window?: number;
}

export type ResyncOutcome = { kind: 'hotp'; nextCounter: bigint } | { kind: 'totp'; driftSteps: number; step: number };

/** RFC 4226 §7.4 suggests a resynchronisation window well beyond the look-ahead. */
export const DEFAULT_HOTP_RESYNC_WINDOW = 100;
/** TOTP resynchronisation searches this many steps either side of now (30 minutes at 30 s). */
export const DEFAULT_TOTP_RESYNC_WINDOW = 60;

const COUNTER_WIDTH = 20;
/** Fixed-width text so counters up to 2^64 − 1 compare correctly in SQL (see migration 004). */
export function counterText(counter: bigint): string {
  return counter.toString().padStart(COUNTER_WIDTH, '0');
}

export function secretContext(serial: string): string {
  return `oath:${serial}:secret`;
}

// SQLite binds at most 32,766 parameters and PostgreSQL 65,535: chunks keep far below both.
const LOOKUP_CHUNK = 500;
const INSERT_CHUNK = 200;

type Db = Kysely<Database> | Transaction<Database>;

export class TokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Stores what an importer read. Nothing is written when the file or the store found any
   * problem, unless `partial`; then exactly the rows without a problem are stored. The checks
   * and the writes share one transaction, and the serial column is UNIQUE, so a concurrent
   * import of the same serial fails the whole transaction rather than half of it.
   * The plaintext secrets in `parsed` are wiped (zero-filled) once sealed, stored or not.
   */
  async importTokens(parsed: ImportResult, options: TokenImportOptions = {}): Promise<TokenImportReport> {
    const assign = options.assign ?? true;
    const problems: StoreImportProblem[] = [...parsed.problems];
    const now = this.clock.now();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const existing = await existingSerials(
          trx,
          parsed.tokens.map((t) => t.serial),
        );
        const users = assign ? await usersByName(trx, parsed.tokens.flatMap((t) => (t.userId ? [t.userId] : []))) : new Map<string, string>();

        const rows: OathTokensTable[] = [];
        for (const token of parsed.tokens) {
          const where = { serial: token.serial };
          if (existing.has(token.serial)) {
            problems.push({ code: 'SERIAL_EXISTS', message: `serial ${token.serial} is already in the store`, ...where });
            continue;
          }
          let userId: string | null = null;
          if (assign && token.userId) {
            userId = users.get(token.userId) ?? null;
            if (userId === null) {
              problems.push({
                code: 'UNKNOWN_USER',
                message: `no user ${JSON.stringify(token.userId)} (by user name or UPN); import it with --no-assign and assign it later`,
                ...where,
              });
              continue;
            }
          }
          rows.push(this.#row(token, userId, now));
        }
        if (problems.length > 0 && !options.partial) {
          return { stored: false, imported: 0, assigned: 0, problems: sortProblems(problems) };
        }
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await trx.insertInto('oath_tokens').values(rows.slice(i, i + INSERT_CHUNK)).execute();
        }
        const assignedUsers = new Set(rows.flatMap((r) => (r.user_id ? [r.user_id] : [])));
        for (const userId of assignedUsers) await syncOathMethod(trx, userId, now);
        return {
          stored: rows.length > 0,
          imported: rows.length,
          assigned: rows.filter((r) => r.user_id !== null).length,
          problems: sortProblems(problems),
        };
      });
    } finally {
      for (const token of parsed.tokens) token.secret.fill(0);
    }
  }

  #row(token: ImportedToken, userId: string | null, now: number): OathTokensTable {
    return {
      id: randomUUID(),
      serial: token.serial,
      user_id: userId,
      kind: token.kind,
      algorithm: token.algorithm,
      digits: token.digits,
      period: token.period,
      counter: counterText(token.counter),
      // A vendor's known drift (PSKC <TimeDrift>, RFC 6030 §4.3.4) is where the window starts.
      drift_steps: token.driftSteps ?? 0,
      last_used_step: null,
      secret_enc: this.secrets.encrypt(token.secret, secretContext(token.serial)),
      issuer: token.issuer ?? null,
      manufacturer: token.manufacturer ?? null,
      model: token.model ?? null,
      disabled: 0,
      created_at: now,
      updated_at: now,
      last_used_at: null,
    };
  }

  async list(filter: { username?: string } = {}): Promise<TokenSummary[]> {
    let q = this.db
      .selectFrom('oath_tokens')
      .leftJoin('users', 'users.id', 'oath_tokens.user_id')
      .select([
        'oath_tokens.id',
        'oath_tokens.serial',
        'oath_tokens.kind',
        'oath_tokens.algorithm',
        'oath_tokens.digits',
        'oath_tokens.period',
        'oath_tokens.counter',
        'oath_tokens.drift_steps',
        'oath_tokens.user_id',
        'oath_tokens.disabled',
        'oath_tokens.manufacturer',
        'oath_tokens.model',
        'oath_tokens.last_used_at',
        'users.username',
      ])
      .orderBy('oath_tokens.serial');
    if (filter.username !== undefined) q = q.where('users.username', '=', foldUsername(filter.username));
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      serial: r.serial,
      kind: r.kind as 'hotp' | 'totp',
      algorithm: r.algorithm as OtpAlgorithm,
      digits: r.digits,
      period: r.period,
      counter: BigInt(r.counter),
      driftSteps: r.drift_steps,
      userId: r.user_id,
      username: r.username ?? null,
      disabled: r.disabled === 1,
      manufacturer: r.manufacturer,
      model: r.model,
      lastUsedAt: r.last_used_at,
    }));
  }

  /** Gives a token to a user (by user name or UPN). A token held by someone else must be unassigned first. */
  async assign(serial: string, user: string): Promise<{ userId: string; username: string }> {
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const token = await findToken(trx, serial);
      const found = await findUser(trx, user);
      if (!found) throw new TokenError('USER_NOT_FOUND', `no user ${JSON.stringify(user)} (by user name or UPN)`);
      if (token.user_id !== null && token.user_id !== found.id) {
        throw new TokenError('TOKEN_ASSIGNED', `token ${serial} is assigned to another user; unassign it first`);
      }
      await trx.updateTable('oath_tokens').set({ user_id: found.id, updated_at: now }).where('id', '=', token.id).execute();
      await syncOathMethod(trx, found.id, now);
      return { userId: found.id, username: found.username };
    });
  }

  /** Takes a token back into stock. Returns the user it was taken from, if any. */
  async unassign(serial: string): Promise<string | null> {
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const token = await findToken(trx, serial);
      if (token.user_id === null) return null;
      await trx.updateTable('oath_tokens').set({ user_id: null, updated_at: now }).where('id', '=', token.id).execute();
      await syncOathMethod(trx, token.user_id, now);
      const user = await trx.selectFrom('users').select('username').where('id', '=', token.user_id).executeTakeFirst();
      return user?.username ?? token.user_id;
    });
  }

  /** A lost or broken token stops working at once; `enable` undoes it. */
  async setDisabled(serial: string, disabled: boolean): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const token = await findToken(trx, serial);
      await trx.updateTable('oath_tokens').set({ disabled: disabled ? 1 : 0, updated_at: now }).where('id', '=', token.id).execute();
      if (token.user_id !== null) await syncOathMethod(trx, token.user_id, now);
    });
  }

  /**
   * Resynchronisation with two consecutive codes (RFC 4226 §7.4 for HOTP; for TOTP the same
   * idea finds a clock that wandered beyond the everyday window, RFC 6238 §6). The write is
   * conditional on the state read, so a sign-in racing the resync cannot be overwritten by it.
   */
  async resync(serial: string, code1: string, code2: string, options: { window?: number } = {}): Promise<ResyncOutcome> {
    const now = this.clock.now();
    const token = await findToken(this.db, serial);
    const secret = this.#openSecret(token);
    try {
      const params = { digits: token.digits, algorithm: token.algorithm as OtpAlgorithm };
      if (token.kind === 'hotp') {
        const r = resyncHotp(secret, code1, code2, BigInt(token.counter), options.window ?? DEFAULT_HOTP_RESYNC_WINDOW, params);
        if (!r.ok) throw new TokenError('RESYNC_FAILED', resyncFailure(r.reason));
        const u = await this.db
          .updateTable('oath_tokens')
          .set({ counter: counterText(r.nextCounter), updated_at: now })
          .where('id', '=', token.id)
          .where('counter', '=', token.counter)
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) throw new TokenError('RESYNC_FAILED', 'the token was used while resynchronising; try again');
        return { kind: 'hotp', nextCounter: r.nextCounter };
      }
      const r = resyncTotp(secret, code1, code2, now, {
        ...params,
        period: token.period,
        window: options.window ?? DEFAULT_TOTP_RESYNC_WINDOW,
        lastUsedStep: token.last_used_step,
      });
      if (!r.ok) throw new TokenError('RESYNC_FAILED', resyncFailure(r.reason));
      const u = await this.db
        .updateTable('oath_tokens')
        .set({ drift_steps: r.drift, last_used_step: r.step, updated_at: now })
        .where('id', '=', token.id)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', r.step)]))
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) throw new TokenError('RESYNC_FAILED', 'the token was used while resynchronising; try again');
      return { kind: 'totp', driftSteps: r.drift, step: r.step };
    } finally {
      secret.fill(0);
    }
  }

  /**
   * Checks a code against every enabled token the user holds. Acceptance and the replay guard
   * are one conditional UPDATE that must affect exactly one row: the HOTP counter moves past
   * the accepted one only if no one moved it there first (RFC 4226 §7.2), a TOTP step is
   * claimed only if it is later than the last one accepted (RFC 6238 §5.2), so two hosts
   * sharing the store cannot both accept one code. The token's drift is written with it.
   */
  async verifyForUser(userId: string, code: string, now: number, options: TokenVerifyOptions = {}): Promise<TokenVerifyResult> {
    const rows = await this.db
      .selectFrom('oath_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('disabled', '=', 0)
      .orderBy('created_at')
      .orderBy('serial')
      .execute();
    const seen = new Set<TokenVerifyFailure>();
    for (const row of rows) {
      const outcome = await this.#verifyOne(row, userId, code, now, options);
      if (outcome === 'ok') return { ok: true, serial: row.serial, tokenId: row.id };
      seen.add(outcome);
    }
    // The most telling reason goes to the audit: a replay matters more than a typo.
    for (const reason of ['REPLAY', 'MISMATCH', 'MALFORMED'] as const) if (seen.has(reason)) return { ok: false, reason };
    return { ok: false, reason: 'UNUSABLE' };
  }

  async #verifyOne(row: OathTokensTable, userId: string, code: string, now: number, options: TokenVerifyOptions): Promise<'ok' | TokenVerifyFailure> {
    let secret: Buffer;
    try {
      secret = this.#openSecret(row);
    } catch {
      return 'UNUSABLE';
    }
    try {
      const params = { digits: row.digits, algorithm: row.algorithm as OtpAlgorithm };
      const claim = this.db
        .updateTable('oath_tokens')
        .where('id', '=', row.id)
        .where('user_id', '=', userId)
        .where('disabled', '=', 0);
      if (row.kind === 'hotp') {
        const r = verifyHotp({ ...params, secret, code, counter: BigInt(row.counter), lookAhead: options.lookAhead ?? 10 });
        if (!r.ok) return r.reason;
        const u = await claim
          .set({ counter: counterText(r.nextCounter), last_used_at: now, updated_at: now })
          .where('counter', '<=', counterText(r.matchedCounter))
          .executeTakeFirst();
        return Number(u.numUpdatedRows) === 1 ? 'ok' : 'REPLAY';
      }
      const r = verifyTotp({
        ...params,
        secret,
        code,
        nowMs: now,
        period: row.period,
        window: options.window ?? 1,
        lastUsedStep: row.last_used_step,
        driftSteps: row.drift_steps,
      });
      if (!r.ok) return r.reason;
      const u = await claim
        .set({ last_used_step: r.step, drift_steps: r.drift, last_used_at: now, updated_at: now })
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', r.step)]))
        .executeTakeFirst();
      return Number(u.numUpdatedRows) === 1 ? 'ok' : 'REPLAY';
    } catch {
      // Parameters the OTP core refuses (a row edited by hand): the token cannot be used.
      return 'UNUSABLE';
    } finally {
      secret.fill(0);
    }
  }

  #openSecret(row: Pick<OathTokensTable, 'serial' | 'secret_enc'>): Buffer {
    try {
      return this.secrets.decrypt(row.secret_enc, secretContext(row.serial));
    } catch (cause) {
      throw new TokenError('TOKEN_UNUSABLE', `the secret of token ${row.serial} cannot be opened with the configured keys (${(cause as Error).message})`);
    }
  }
}

function resyncFailure(reason: 'MISMATCH' | 'MALFORMED'): string {
  return reason === 'MALFORMED'
    ? 'the codes are not the length the token shows'
    : 'the two codes are not consecutive codes of this token within the resynchronisation window';
}

async function findToken(db: Db, serial: string): Promise<OathTokensTable> {
  const row = await db.selectFrom('oath_tokens').selectAll().where('serial', '=', serial).executeTakeFirst();
  if (!row) throw new TokenError('TOKEN_NOT_FOUND', `no token with serial ${JSON.stringify(serial)}`);
  return row;
}

/** A user named by user name (case-folded, as stored) or UPN (case-insensitive). */
async function findUser(db: Db, name: string): Promise<{ id: string; username: string } | undefined> {
  return (
    (await db.selectFrom('users').select(['id', 'username']).where('username', '=', foldUsername(name)).executeTakeFirst()) ??
    (await db
      .selectFrom('users')
      .select(['id', 'username'])
      .where(userKey(db, 'upn'), '=', name.toLowerCase())
      .orderBy('username')
      .executeTakeFirst())
  );
}

async function existingSerials(db: Db, serials: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < serials.length; i += LOOKUP_CHUNK) {
    const chunk = serials.slice(i, i + LOOKUP_CHUNK);
    const rows = await db.selectFrom('oath_tokens').select('serial').where('serial', 'in', chunk).execute();
    for (const r of rows) found.add(r.serial);
  }
  return found;
}

/**
 * A PSKC `UserId` is often a directory DN (RFC 6030 Figure 3: `UID=jsmith,DC=example-bank,DC=net`);
 * its first RDN's value is then tried as a user name too.
 */
function nameCandidates(userId: string): string[] {
  const out = [userId];
  const rdn = /^\s*(?:uid|cn|samaccountname)\s*=\s*((?:[^,\\]|\\.)+)\s*,/i.exec(userId);
  if (rdn) out.push(rdn[1]!.replace(/\\(.)/g, '$1'));
  return out;
}

/** Maps each file user id to a user id: user name first, then UPN, then a DN's first RDN. */
async function usersByName(db: Db, userIds: string[]): Promise<Map<string, string>> {
  const distinct = [...new Set(userIds)];
  const names = [...new Set(distinct.flatMap(nameCandidates))];
  const byUsername = new Map<string, string>();
  const byUpn = new Map<string, string>();
  for (let i = 0; i < names.length; i += LOOKUP_CHUNK) {
    const chunk = names.slice(i, i + LOOKUP_CHUNK);
    const folded = chunk.map(foldUsername);
    const lowered = chunk.map((n) => n.toLowerCase());
    const rows = await db
      .selectFrom('users')
      .select(['id', 'username', 'upn'])
      .where((eb) => eb.or([eb('username', 'in', folded), eb(userKey(db, 'upn'), 'in', lowered)]))
      .orderBy('username')
      .execute();
    for (const r of rows) {
      byUsername.set(r.username, r.id);
      if (r.upn && !byUpn.has(r.upn.toLowerCase())) byUpn.set(r.upn.toLowerCase(), r.id);
    }
  }
  const out = new Map<string, string>();
  for (const userId of distinct) {
    for (const name of nameCandidates(userId)) {
      const id = byUsername.get(foldUsername(name)) ?? byUpn.get(name.toLowerCase());
      if (id !== undefined) {
        out.set(userId, id);
        break;
      }
    }
  }
  return out;
}

/**
 * Keeps the user's `oath` method in step with their tokens: present (and the default when they
 * have no other) while they hold an enabled token, gone when they hold none, so the challenge
 * page never offers a method that cannot succeed.
 */
async function syncOathMethod(db: Db, userId: string, now: number): Promise<void> {
  const held = await db
    .selectFrom('oath_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('disabled', '=', 0)
    .executeTakeFirstOrThrow();
  const method = await db.selectFrom('factors').select('id').where('user_id', '=', userId).where('kind', '=', 'oath').executeTakeFirst();
  if (Number(held.n) === 0) {
    if (method) await db.deleteFrom('factors').where('id', '=', method.id).execute();
    return;
  }
  if (method) return;
  const otherDefault = await db
    .selectFrom('factors')
    .select('id')
    .where('user_id', '=', userId)
    .where('confirmed', '=', 1)
    .where('is_default', '=', 1)
    .executeTakeFirst();
  await db
    .insertInto('factors')
    .values({
      id: randomUUID(),
      user_id: userId,
      kind: 'oath',
      label: null,
      secret_enc: null,
      params: '{}',
      is_default: otherDefault ? 0 : 1,
      confirmed: 1,
      last_used_step: null,
      created_at: now,
      last_used_at: null,
    })
    .execute();
}

/** File order: line, then key, as the administrator reads the file. */
function sortProblems(problems: StoreImportProblem[]): StoreImportProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Number.MAX_SAFE_INTEGER) - (b.p.line ?? Number.MAX_SAFE_INTEGER) || a.i - b.i)
    .map(({ p }) => p);
}
