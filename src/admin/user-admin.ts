/**
 * Help-desk operations on one user, written once for the CLI, the console and the API
 * (issue 18): show, unlock, reset methods, remove one method, one-time bypass, disable and
 * enable. Every change is audited as `admin-action` with the admin's name, the action and the
 * free-text reason; a secret (seed, token secret, PIN hash) is never read out.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../store/schema.js';
import type { AuditApi } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import type { HostConfig } from '../config/schema.js';
import { FactorgateError } from '../kit/errors.js';
import { foldUsername } from '../directory/directory.js';
import { toUserRecord } from '../users/user-repository.js';
import { AppPasswords } from '../users/app-passwords.js';
import type { EnrolmentSender } from '../enrolment/enrolment-mail.js';
import { TokenError, type TokenRepository } from '../tokens/token-repository.js';
import { revokeAllDevices } from '../devices/remembered-devices.js';
import { maskContact } from '../factors/mask-contact.js';

/** Who acts: `cli:root`, `console:alice`, `api:deploy-bot`. Goes into every audit record. */
export interface AdminActor {
  name: string;
}

export type AdminAction =
  | 'unlock'
  | 'reset-methods'
  | 'remove-method'
  | 'bypass'
  | 'disable'
  | 'enable'
  | 'assign-token'
  | 'unassign-token'
  | 'resync-token'
  | 'revoke-app-passwords'
  | 'revoke-devices'
  | 'resend-enrolment'
  | 'clear-fraud-block';

export interface UserMethodView {
  id: string;
  kind: string;
  label: string | null;
  isDefault: boolean;
  confirmed: boolean;
  /** Where a code is delivered (phone or email), masked unless `revealAddresses`. */
  address: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface UserTokenView {
  serial: string;
  kind: string;
  disabled: boolean;
  lastUsedAt: string | null;
}

export interface UserAuditView {
  ts: string;
  event: string;
  result: string;
  method: string | null;
  denyReason: string | null;
  adapter: string | null;
  relyingParty: string | null;
  clientIp: string | null;
  detail: string | null;
}

export interface UserDetails {
  username: string;
  displayName: string | null;
  upn: string | null;
  email: string | null;
  phone: string | null;
  source: string;
  status: 'enabled' | 'disabled';
  /** Why disabled: by the directory, by an admin, or both. */
  disabledBy: ('directory' | 'admin')[];
  failedAttempts: number;
  lockedUntil: string | null;
  lastSignIn: string | null;
  pinSet: boolean;
  methods: UserMethodView[];
  tokens: UserTokenView[];
  /** The unused, unexpired one-time bypass, if any. */
  bypass: { expiresAt: string; grantedBy: string; reason: string } | null;
  /** The latest audit records about the user, newest first. */
  history: UserAuditView[];
}

export interface UserAdminDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditApi;
  config: Pick<HostConfig, 'admin'>;
  /** Hardware tokens (assign, unassign, resync); absent where no token operation is offered. */
  tokens?: Pick<TokenRepository, 'assign' | 'unassign' | 'resync'> | undefined;
  /** Sends the enrolment mail now; absent when no SMTP server is configured. */
  enrolmentMail?: EnrolmentSender | null | undefined;
}

const HISTORY = 50;
const MAX_REASON = 500;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function addressOf(params: string): string | null {
  try {
    const p = JSON.parse(params) as { to?: unknown };
    return typeof p.to === 'string' ? p.to : null;
  } catch {
    return null;
  }
}

/** A reason is required, one line, bounded: it is stored in the audit record and shown back. */
export function checkReason(reason: string | undefined): string {
  const r = (reason ?? '').replace(/[\r\n\t]+/g, ' ').trim();
  if (r === '') throw new FactorgateError('BAD_REQUEST', { detail: 'a reason is required', publicDetail: 'a reason is required' });
  if (r.length > MAX_REASON) throw new FactorgateError('BAD_REQUEST', { detail: `the reason is longer than ${MAX_REASON} characters`, publicDetail: `the reason is longer than ${MAX_REASON} characters` });
  return r;
}

/**
 * A name the store does not know. The store learns users at their first sign-in or an import, so
 * a user who is in the directory (a demo user) but never signed in is not there yet: say so.
 */
export function noStoredUserMessage(username: string): string {
  return `no user "${username}" in the store (users are added at their first sign-in or by \`factorgate users import\`)`;
}

export class UserAdmin {
  constructor(private readonly deps: UserAdminDeps) {}

  async #find(username: string): Promise<UserRow> {
    const row = await this.deps.db.selectFrom('users').selectAll().where('username', '=', foldUsername(username)).executeTakeFirst();
    if (!row) throw new FactorgateError('NOT_FOUND', { detail: noStoredUserMessage(username), publicDetail: `no user "${username}"` });
    return row;
  }

  async #audit(row: UserRow, actor: AdminActor, action: AdminAction, reason: string, extra: Record<string, unknown> = {}): Promise<void> {
    await this.deps.audit.record({
      event: 'admin-action',
      result: 'success',
      user: toUserRecord(row),
      detail: JSON.stringify({ action, admin: actor.name, reason, ...extra }),
    });
  }

  /** Everything a help desk needs to answer "why can't I sign in?". */
  async show(username: string, options: { revealAddresses: boolean }): Promise<UserDetails> {
    const { db, clock } = this.deps;
    const row = await this.#find(username);
    const now = clock.now();
    const [factors, tokens, pin, bypass, history] = await Promise.all([
      db.selectFrom('factors').select(['id', 'kind', 'label', 'params', 'is_default', 'confirmed', 'created_at', 'last_used_at']).where('user_id', '=', row.id).orderBy('is_default', 'desc').orderBy('created_at').orderBy('id').execute(),
      db.selectFrom('oath_tokens').select(['serial', 'kind', 'disabled', 'last_used_at']).where('user_id', '=', row.id).orderBy('serial').execute(),
      db.selectFrom('user_pins').select('user_id').where('user_id', '=', row.id).executeTakeFirst(),
      this.activeBypass(row.id, now),
      db.selectFrom('audit_events').selectAll().where('user_id', '=', row.id).orderBy('ts', 'desc').orderBy('id', 'desc').limit(HISTORY).execute(),
    ]);
    const disabledBy: UserDetails['disabledBy'] = [];
    if (row.disabled === 1) disabledBy.push('directory');
    if (row.admin_disabled === 1) disabledBy.push('admin');
    const shown = (a: string | null) => (a === null ? null : options.revealAddresses ? a : maskContact(a));
    return {
      username: row.username,
      displayName: row.display_name,
      upn: row.upn,
      email: row.email,
      phone: shown(row.mobile ?? row.phone),
      source: row.source,
      status: disabledBy.length > 0 ? 'disabled' : 'enabled',
      disabledBy,
      failedAttempts: row.failed_attempts,
      lockedUntil: row.locked_until !== null && row.locked_until > now ? iso(row.locked_until) : null,
      lastSignIn: iso(row.last_sign_in_at),
      pinSet: pin !== undefined,
      methods: factors.map((f) => ({
        id: f.id,
        kind: f.kind,
        label: f.label,
        isDefault: f.is_default === 1,
        confirmed: f.confirmed === 1,
        address: shown(addressOf(f.params)),
        createdAt: iso(f.created_at)!,
        lastUsedAt: iso(f.last_used_at),
      })),
      tokens: tokens.map((t) => ({ serial: t.serial, kind: t.kind, disabled: t.disabled === 1, lastUsedAt: iso(t.last_used_at) })),
      bypass: bypass ? { expiresAt: iso(bypass.expires_at)!, grantedBy: bypass.granted_by, reason: bypass.reason } : null,
      history: history.map((h) => ({
        ts: iso(h.ts)!,
        event: h.event,
        result: h.result,
        method: h.method,
        denyReason: h.deny_reason,
        adapter: h.adapter,
        relyingParty: h.relying_party,
        clientIp: h.client_ip,
        detail: h.detail,
      })),
    };
  }

  async activeBypass(userId: string, now: number) {
    return this.deps.db
      .selectFrom('user_bypasses')
      .selectAll()
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('expires_at', 'desc')
      .executeTakeFirst();
  }

  /** Clears the failure count and the lock. */
  async unlock(username: string, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    await this.deps.db.updateTable('users').set({ failed_attempts: 0, locked_until: null, updated_at: this.deps.clock.now() }).where('id', '=', row.id).execute();
    await this.#audit(row, actor, 'unlock', why, { wasLockedUntil: iso(row.locked_until) });
  }

  /**
   * Removes every method the user enrolled (the answer to "my phone is lost"): the next sign-in
   * meets the enrolment policy again. Hardware tokens assigned to the user are unassigned and
   * disabled (lost with the phone, they must not go back into stock as usable). Methods that
   * follow the directory (SMS, voice, email to the directory's number or address) come back
   * at the next sign-in: change the directory to change them. Returns how many were removed.
   */
  async resetMethods(username: string, actor: AdminActor, reason: string | undefined): Promise<{ methods: number; tokens: number }> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const now = this.deps.clock.now();
    const removed = await this.deps.db.transaction().execute(async (trx) => {
      const f = await trx.deleteFrom('factors').where('user_id', '=', row.id).executeTakeFirst();
      const t = await trx.updateTable('oath_tokens').set({ user_id: null, disabled: 1, updated_at: now }).where('user_id', '=', row.id).executeTakeFirst();
      // Devices remembered with the old methods stand for them: they end with them (issue 20).
      await revokeAllDevices(trx, row.id, now, 'method-reset');
      return { methods: Number(f.numDeletedRows), tokens: Number(t.numUpdatedRows) };
    });
    await this.#audit(row, actor, 'reset-methods', why, removed);
    return removed;
  }

  /** Removes one method by its id (as `show` lists it). */
  async removeMethod(username: string, factorId: string, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const method = await this.deps.db.selectFrom('factors').select(['id', 'kind']).where('id', '=', factorId).where('user_id', '=', row.id).executeTakeFirst();
    if (!method) throw new FactorgateError('NOT_FOUND', { detail: `user "${row.username}" has no method "${factorId}"`, publicDetail: 'no such method' });
    await this.deps.db.deleteFrom('factors').where('id', '=', method.id).where('user_id', '=', row.id).execute();
    await this.#audit(row, actor, 'remove-method', why, { method: method.kind, methodId: method.id });
  }

  /**
   * Grants a one-time bypass: the user's next sign-in within `minutes` skips the second factor
   * once (claimed by the challenge step `apply-bypass`). A new grant replaces an unused one.
   */
  async grantBypass(username: string, minutes: number | undefined, actor: AdminActor, reason: string | undefined): Promise<{ expiresAt: number }> {
    const why = checkReason(reason);
    const { defaultMinutes, maxMinutes } = this.deps.config.admin.bypass;
    const length = minutes ?? defaultMinutes;
    if (!Number.isInteger(length) || length < 1 || length > maxMinutes) {
      throw new FactorgateError('BAD_REQUEST', { detail: `bypass minutes must be a whole number from 1 to ${maxMinutes}`, publicDetail: `bypass minutes must be a whole number from 1 to ${maxMinutes}` });
    }
    const row = await this.#find(username);
    const now = this.deps.clock.now();
    const expiresAt = now + length * 60_000;
    await this.deps.db.transaction().execute(async (trx) => {
      // An earlier unused grant ends now: one bypass at a time, the latest reason on record.
      await trx.updateTable('user_bypasses').set({ expires_at: now }).where('user_id', '=', row.id).where('used_at', 'is', null).where('expires_at', '>', now).execute();
      await trx
        .insertInto('user_bypasses')
        .values({ id: randomUUID(), user_id: row.id, granted_by: actor.name, reason: why, created_at: now, expires_at: expiresAt, used_at: null, challenge_id: null })
        .execute();
    });
    await this.#audit(row, actor, 'bypass', why, { minutes: length, expiresAt: iso(expiresAt) });
    return { expiresAt };
  }

  /** Disables or enables sign-in; an admin's disable survives directory refreshes. */
  async setDisabled(username: string, disabled: boolean, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const now = this.deps.clock.now();
    // Enabling also lifts a fraud report's block of the second factor (issue 20), on record.
    const fraudBlocked = !disabled && row.fraud_blocked_at !== null;
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ admin_disabled: disabled ? 1 : 0, updated_at: now, ...(fraudBlocked ? { fraud_blocked_at: null } : {}) }).where('id', '=', row.id).execute();
      if (fraudBlocked) await trx.updateTable('fraud_reports').set({ cleared_at: now, cleared_by: actor.name }).where('user_id', '=', row.id).where('cleared_at', 'is', null).execute();
    });
    await this.#audit(row, actor, disabled ? 'disable' : 'enable', why, {
      ...(row.disabled === 1 && !disabled ? { note: 'still disabled in the directory' } : {}),
      ...(fraudBlocked ? { fraudBlockLifted: true } : {}),
    });
  }

  /**
   * Lifts a fraud report's block of the user's second factor (issue 20) without touching an
   * admin's disable: the open reports are marked cleared by the admin, on record. A user who is
   * not blocked is a 400 (nothing to clear), so a stale console page cannot record a no-op.
   */
  async clearFraudBlock(username: string, actor: AdminActor, reason: string | undefined): Promise<{ reportsCleared: number }> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    if (row.fraud_blocked_at === null) {
      throw new FactorgateError('BAD_REQUEST', { detail: `${row.username} is not blocked by a fraud report`, publicDetail: `${row.username} is not blocked by a fraud report` });
    }
    const now = this.deps.clock.now();
    const cleared = await this.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ fraud_blocked_at: null, updated_at: now }).where('id', '=', row.id).execute();
      const r = await trx.updateTable('fraud_reports').set({ cleared_at: now, cleared_by: actor.name }).where('user_id', '=', row.id).where('cleared_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows);
    });
    await this.#audit(row, actor, 'clear-fraud-block', why, { reportsCleared: cleared, blockedSince: iso(row.fraud_blocked_at) });
    return { reportsCleared: cleared };
  }

  #tokens(): Pick<TokenRepository, 'assign' | 'unassign' | 'resync'> {
    if (!this.deps.tokens) throw new FactorgateError('INTERNAL', { detail: 'UserAdmin built without a token repository' });
    return this.deps.tokens;
  }

  /** A token operation's refusal (unknown serial, held by another user, codes that do not follow) as a 400 with its reason. */
  async #token<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof TokenError) throw new FactorgateError('BAD_REQUEST', { detail: err.message, publicDetail: err.message, cause: err });
      throw err;
    }
  }

  /** Gives the hardware token `serial` (from stock, or already theirs) to the user. */
  async assignToken(username: string, serial: string, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const s = serial.trim();
    await this.#token(() => this.#tokens().assign(s, row.username));
    await this.#audit(row, actor, 'assign-token', why, { serial: s });
  }

  /** Takes the user's hardware token `serial` back into stock. */
  async unassignToken(username: string, serial: string, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const s = serial.trim();
    const held = await this.deps.db.selectFrom('oath_tokens').select('id').where('serial', '=', s).where('user_id', '=', row.id).executeTakeFirst();
    if (!held) throw new FactorgateError('BAD_REQUEST', { detail: `user "${row.username}" holds no token ${JSON.stringify(s)}`, publicDetail: `this user holds no token ${s}` });
    await this.#token(() => this.#tokens().unassign(s));
    await this.#audit(row, actor, 'unassign-token', why, { serial: s });
  }

  /** Resynchronises the user's token `serial` from two consecutive codes read off it. */
  async resyncToken(username: string, serial: string, code1: string, code2: string, actor: AdminActor, reason: string | undefined): Promise<void> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const s = serial.trim();
    const held = await this.deps.db.selectFrom('oath_tokens').select('id').where('serial', '=', s).where('user_id', '=', row.id).executeTakeFirst();
    if (!held) throw new FactorgateError('BAD_REQUEST', { detail: `user "${row.username}" holds no token ${JSON.stringify(s)}`, publicDetail: `this user holds no token ${s}` });
    const outcome = await this.#token(() => this.#tokens().resync(s, code1.trim(), code2.trim()));
    await this.#audit(row, actor, 'resync-token', why, outcome.kind === 'hotp' ? { serial: s, kind: 'hotp' } : { serial: s, kind: 'totp', driftSteps: outcome.driftSteps });
  }

  /** Revokes every app password the user holds (issue 19); returns how many. */
  async revokeAppPasswords(username: string, actor: AdminActor, reason: string | undefined): Promise<number> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const revoked = await new AppPasswords(this.deps.db).revokeAll(row.id, this.deps.clock.now());
    await this.#audit(row, actor, 'revoke-app-passwords', why, { revoked });
    return revoked;
  }

  /** Revokes every remembered device of the user (issue 20): the next sign-ins ask again. */
  async revokeDevices(username: string, actor: AdminActor, reason: string | undefined): Promise<number> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const revoked = await revokeAllDevices(this.deps.db, row.id, this.deps.clock.now(), 'admin');
    await this.#audit(row, actor, 'revoke-devices', why, { revoked });
    return revoked;
  }

  /** Whether `resendEnrolment` can send (an SMTP server is configured). */
  get canMail(): boolean {
    return Boolean(this.deps.enrolmentMail);
  }

  /** Sends the enrolment mail again (the same mail as `users notify --user`). */
  async resendEnrolment(username: string, actor: AdminActor, reason: string | undefined): Promise<{ to: string; method: string }> {
    const why = checkReason(reason);
    const row = await this.#find(username);
    const send = this.deps.enrolmentMail;
    if (!send) throw new FactorgateError('BAD_REQUEST', { detail: 'delivery.smtp is not configured', publicDetail: 'no mail server is configured (delivery.smtp)' });
    const sent = await send(row);
    await this.#audit(row, actor, 'resend-enrolment', why, { method: sent.method });
    return sent;
  }
}
