/**
 * What SMS, voice and email codes share behind the `Factor` interface: a method per user that
 * follows the directory (the number or address it gives), codes drawn from the CSPRNG and
 * stored only as an HMAC bound to their challenge, sends limited per challenge and per user,
 * one acceptance per code across every host on the store, and the optional PIN.
 *
 * NIST SP 800-63B §5.1.3 (out-of-band devices) is the frame: the secret is random, short-lived,
 * valid once and only for the authentication it was sent for (§5.1.3.1, §5.1.3.2); SMS and
 * voice to a phone number are RESTRICTED authenticators (§5.1.3.3), which is why every send is
 * audited and why a number that changes in the directory changes the method with it.
 */
import { createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../kit/clock.js';
import type { DerivedKeys } from '../store/derived-keys.js';
import type { UserRecord } from '../api/host-api.js';
import type { Locale } from '../kit/i18n.js';
import { FactorgateError } from '../kit/errors.js';
import type { Database, FactorRow } from '../store/schema.js';
import {
  codesEqual,
  decideSend,
  hashCode,
  issueCode,
  normalizeCode,
  verifyPin,
  hashPin,
  type PinSealer,
  type CodeDeliveryPolicy,
} from '../delivery/index.js';
import type { ContactEnrolment, Factor, FactorFailureReason, FactorSendResult, FactorVerifyResult } from './factor.js';

export type DeliveredKind = 'sms' | 'voice' | 'email';
export type DeliveryMode = 'code' | 'press-pound';

/**
 * A code sent for a challenge is burnt after this many wrong answers to it, whatever the
 * user's lockout budget (NIST SP 800-63B §5.2.2 limits guesses per authenticator).
 */
export const MAX_ATTEMPTS_PER_CODE = 5;

/** HKDF info (RFC 5869) of the pepper of code hashes, so every host sharing the keys agrees. */
export const CODE_PEPPER_INFO = 'factorgate delivered-code pepper v1';

/** The pepper of code hashes derived from one secrets key. */
export function codePepper(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), CODE_PEPPER_INFO, 32));
}

/** The factor id of a user's directory-provisioned method: one per kind, the same on every host. */
export function deliveredFactorId(kind: DeliveredKind, userId: string): string {
  return `${kind}:${userId}`;
}

export interface DeliveredParams {
  /** E.164 number or email address. */
  to: string;
}

/**
 * A number or address the user added in the portal (issue 19), where the directory does not own
 * it: its own row (a random id, so `provision` never touches it), the address sealed in
 * `secret_enc` under `addressContext(id)` like other PII we keep, `params` only `{ self: true }`.
 */
export function addressContext(factorId: string): string {
  return `factor:${factorId}:address`;
}

export function isSelfAdded(row: FactorRow): boolean {
  try {
    return (JSON.parse(row.params) as { self?: unknown }).self === true;
  } catch {
    return false;
  }
}

export function readDeliveredParams(row: FactorRow): DeliveredParams | null {
  try {
    const p = JSON.parse(row.params) as Partial<DeliveredParams>;
    return typeof p.to === 'string' && p.to !== '' ? { to: p.to } : null;
  } catch {
    return null;
  }
}

/** What one channel adds to the shared behaviour. */
export interface DeliveryChannel {
  kind: DeliveredKind;
  mode: DeliveryMode;
  /** The user's number or address in the form the sender wants, or null when the directory gives none usable. */
  address(user: UserRecord): string | null;
  /** A typed number or address in the form the sender wants, or null (the portal's own additions). */
  parse(raw: string): string | null;
  mask(to: string): string;
  label(locale: Locale): string;
  prompt(locale: Locale, to: string): string;
  /**
   * Sends the code (or, in press-pound mode, places the call that asks for #). Throws
   * `DELIVERY_FAILED` with a detail free of the code when the provider is down or refuses.
   */
  deliver(input: { to: string; code: string | null; callbackUrl: string | null; locale: Locale; user: UserRecord; ttlSeconds: number; challengeId: string; expiresAt: number }): Promise<{ providerMessageId: string }>;
}

export interface DeliveredCodeFactorDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** Seals PIN hashes (the key ring as their pepper) and self-added addresses. */
  secrets: PinSealer;
  /** Derived from the secrets key ring (`CODE_PEPPER_INFO`): the current one hashes new codes. */
  peppers: Pick<DerivedKeys, 'current' | 'accepted'>;
  policy: CodeDeliveryPolicy;
  pin: 'off' | 'required';
  /** `server.publicUrl`, for press-pound callback URLs. */
  publicUrl: string;
}

export const VOICE_CALLBACK_PATH = '/mfa/voice-callback';

/** The stored form of a callback token: only its hash, so the store cannot confirm a call. */
export function callbackHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function createDeliveredCodeFactor(deps: DeliveredCodeFactorDeps, channel: DeliveryChannel): Factor {
  const { db, policy } = deps;
  const log = deps.logger.child({ factor: channel.kind });

  /**
   * A right PIN stored in an older form (unpeppered scrypt, or a lower cost) is stored again in
   * today's, only if nobody changed it meanwhile (conditional update).
   */
  async function upgradePinHash(userId: string, pin: string, old: string): Promise<void> {
    const next = await hashPin(pin, deps.secrets, userId);
    await db.updateTable('user_pins').set({ pin_hash: next, updated_at: deps.clock.now() }).where('user_id', '=', userId).where('pin_hash', '=', old).execute();
    log.info({ userId }, 'PIN hash upgraded to the current format');
  }

  async function userHasPin(userId: string): Promise<boolean> {
    const row = await db.selectFrom('user_pins').select('user_id').where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  /** Insert-then-count, so two hosts sending at the same moment cannot both slip under a limit. */
  async function claimSend(userId: string, challengeId: string, now: number): Promise<FactorSendResult | null> {
    const id = randomUUID();
    await db.insertInto('delivery_sends').values({ id, user_id: userId, challenge_id: challengeId, kind: channel.kind, sent_at: now }).execute();
    const earlier = await db
      .selectFrom('delivery_sends')
      .select(['challenge_id', 'sent_at'])
      .where('user_id', '=', userId)
      .where('kind', '=', channel.kind)
      .where('id', '!=', id)
      .where((eb) => eb.or([eb('challenge_id', '=', challengeId), eb('sent_at', '>', now - 3_600_000)]))
      .execute();
    const decision = decideSend({
      policy,
      now,
      challengeSends: earlier.filter((r) => r.challenge_id === challengeId).map((r) => r.sent_at),
      userSends: earlier.map((r) => r.sent_at),
    });
    if (decision.allowed) return null;
    await db.deleteFrom('delivery_sends').where('id', '=', id).execute();
    const wait = decision.retryAfterMs === null ? 'not for this sign-in' : `again in ${Math.ceil(decision.retryAfterMs / 1000)} s`;
    return { sent: false, reason: decision.reason, detail: `${decision.reason}: ${channel.kind} send refused, allowed ${wait}`, retryAfterMs: decision.retryAfterMs };
  }

  async function verifyCode(challengeId: string, factorId: string, code: string, now: number): Promise<{ ok: true; id: string } | { ok: false; reason: FactorFailureReason }> {
    const typed = normalizeCode(code);
    if (!new RegExp(`^[0-9]{${policy.codeDigits}}$`).test(typed)) return { ok: false, reason: 'MALFORMED' };
    const rows = await db
      .selectFrom('delivered_codes')
      .select(['id', 'code_hash', 'expires_at', 'consumed_at', 'attempts'])
      .where('challenge_id', '=', challengeId)
      .where('factor_id', '=', factorId)
      .where('mode', '=', 'code')
      .execute();
    // The previous key is tried too (within its grace), so codes sent just before a key rotation still verify.
    const candidates = deps.peppers.accepted().map((p) => hashCode(typed, challengeId, p));
    const match = rows.find((r) => r.code_hash !== null && candidates.some((c) => codesEqual(c, r.code_hash!)));
    if (!match) {
      await db
        .updateTable('delivered_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('challenge_id', '=', challengeId)
        .where('factor_id', '=', factorId)
        .where('consumed_at', 'is', null)
        .execute();
      return { ok: false, reason: 'MISMATCH' };
    }
    if (match.consumed_at !== null) return { ok: false, reason: 'REPLAY' };
    if (match.expires_at <= now) return { ok: false, reason: 'EXPIRED' };
    if (match.attempts >= MAX_ATTEMPTS_PER_CODE) return { ok: false, reason: 'MISMATCH' };
    return { ok: true, id: match.id };
  }

  /** One conditional UPDATE: of two hosts accepting the same code at once, one wins. */
  async function consume(id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('delivered_codes')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async function verifyConfirmation(challengeId: string, factorId: string, now: number): Promise<FactorVerifyResult> {
    const rows = await db
      .selectFrom('delivered_codes')
      .select(['id', 'expires_at', 'confirmed_at', 'consumed_at'])
      .where('challenge_id', '=', challengeId)
      .where('factor_id', '=', factorId)
      .where('mode', '=', 'press-pound')
      .execute();
    const confirmed = rows.find((r) => r.confirmed_at !== null && r.consumed_at === null && r.expires_at > now);
    if (confirmed) return (await consume(confirmed.id, now)) ? { ok: true } : { ok: false, reason: 'REPLAY' };
    if (rows.some((r) => r.consumed_at === null && r.expires_at > now) || rows.length === 0) return { ok: false, reason: 'PENDING' };
    return { ok: false, reason: 'EXPIRED' };
  }

  /** The directory's address in `params`, or the user's own sealed in `secret_enc`. */
  function addressOf(row: FactorRow): string | null {
    if (row.secret_enc === null || !isSelfAdded(row)) return readDeliveredParams(row)?.to ?? null;
    try {
      return deps.secrets.decryptText(row.secret_enc, addressContext(row.id));
    } catch (err) {
      log.warn({ factorId: row.id, err }, 'a self-added address cannot be unsealed with the key ring');
      return null;
    }
  }

  const contact: ContactEnrolment = {
    parse: (raw) => channel.parse(raw),
    material: (factorId, to) => ({ secretEnc: deps.secrets.encrypt(to, addressContext(factorId)), params: { self: true } }),
    addressOf,
    mask: (to) => channel.mask(to),
    async confirm({ factorRow, code, now, verificationId }) {
      if (channel.mode === 'press-pound') return verifyConfirmation(verificationId, factorRow.id, now);
      const checked = await verifyCode(verificationId, factorRow.id, code, now);
      if (!checked.ok) return checked;
      return (await consume(checked.id, now)) ? { ok: true } : { ok: false, reason: 'REPLAY' };
    },
  };

  const factor: Factor = {
    kind: channel.kind,
    label: (locale) => channel.label(locale),
    prompt: (locale, row) => channel.prompt(locale, addressOf(row) ?? ''),
    isEnrolled: (row) => row.kind === channel.kind && row.confirmed === 1 && addressOf(row) !== null,
    contact,
    pinRequired: () => deps.pin === 'required' && channel.mode === 'code',
    ...(channel.mode === 'press-pound' ? { awaitsConfirmation: () => true } : {}),

    async provision({ user, now }) {
      const id = deliveredFactorId(channel.kind, user.id);
      const to = channel.address(user);
      const existing = await db.selectFrom('factors').selectAll().where('id', '=', id).executeTakeFirst();
      if (to === null) {
        if (existing) await db.deleteFrom('factors').where('id', '=', id).execute();
        return;
      }
      // Code + PIN: a user without a PIN has no such method until one is set (users notify).
      const confirmed = deps.pin === 'required' && !(await userHasPin(user.id)) ? 0 : 1;
      const params = JSON.stringify({ to } satisfies DeliveredParams);
      if (!existing) {
        await db
          .insertInto('factors')
          .values({ id, user_id: user.id, kind: channel.kind, label: null, secret_enc: null, params, is_default: 0, confirmed, last_used_step: null, created_at: now, last_used_at: null })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      } else if (existing.params !== params || existing.confirmed !== confirmed) {
        await db.updateTable('factors').set({ params, confirmed }).where('id', '=', id).execute();
      }
    },

    async sentFor({ challengeId, factorRow }) {
      // A code that never left was deleted (see below), so any row here went out.
      const row = await db.selectFrom('delivered_codes').select('id').where('challenge_id', '=', challengeId).where('factor_id', '=', factorRow.id).executeTakeFirst();
      return row !== undefined;
    },

    async send({ user, factorRow, locale, now, challengeId }): Promise<FactorSendResult> {
      const to = addressOf(factorRow);
      if (!to) return { sent: false, reason: 'NO_ADDRESS', detail: `no ${channel.kind} address for the user` };
      const refused = await claimSend(user.id, challengeId, now);
      if (refused) return refused;

      const rowId = randomUUID();
      let code: string | null = null;
      let callbackUrl: string | null = null;
      let codeHash: string | null = null;
      let cbHash: string | null = null;
      let expiresAt = now + policy.codeTtlSeconds * 1000;
      if (channel.mode === 'code') {
        const issued = issueCode({ challengeId, pepper: deps.peppers.current(), clock: { now: () => now }, digits: policy.codeDigits, ttlSeconds: policy.codeTtlSeconds });
        code = issued.code;
        codeHash = issued.record.codeHash;
        expiresAt = issued.record.expiresAt;
      } else {
        // 256 bits: the callback URL is the only thing that ties a key press to this challenge.
        const token = randomBytes(32).toString('base64url');
        callbackUrl = `${deps.publicUrl}${VOICE_CALLBACK_PATH}?token=${token}`;
        cbHash = callbackHash(token);
      }
      await db
        .insertInto('delivered_codes')
        .values({
          id: rowId,
          challenge_id: challengeId,
          user_id: user.id,
          factor_id: factorRow.id,
          kind: channel.kind,
          mode: channel.mode,
          code_hash: codeHash,
          callback_hash: cbHash,
          issued_at: now,
          expires_at: expiresAt,
          attempts: 0,
          confirmed_at: null,
          consumed_at: null,
          provider_message_id: null,
        })
        .execute();
      try {
        const sent = await channel.deliver({ to, code, callbackUrl, locale, user, ttlSeconds: policy.codeTtlSeconds, challengeId, expiresAt });
        await db.updateTable('delivered_codes').set({ provider_message_id: sent.providerMessageId }).where('id', '=', rowId).execute();
        return { sent: true, detail: `${channel.kind} ${channel.mode} sent, provider message ${sent.providerMessageId}` };
      } catch (err) {
        // A code that never left is not left lying in the store; the send still counts.
        await db.deleteFrom('delivered_codes').where('id', '=', rowId).execute();
        if (err instanceof FactorgateError && err.code === 'DELIVERY_FAILED') {
          // A gateway may echo the number back in its error; the audit and log get it masked.
          return { sent: false, reason: 'DELIVERY_FAILED', detail: (err.detail ?? 'provider failed').split(to).join('[recipient]') };
        }
        log.error({ err }, 'unexpected error while sending a code');
        return { sent: false, reason: 'DELIVERY_FAILED', detail: 'unexpected error while sending' };
      }
    },

    async verify({ user, factorRow, code, now, challengeId, pin }): Promise<FactorVerifyResult> {
      if (!challengeId) return { ok: false, reason: 'UNUSABLE' };
      if (channel.mode === 'press-pound') return verifyConfirmation(challengeId, factorRow.id, now);
      const checked = await verifyCode(challengeId, factorRow.id, code, now);
      if (deps.pin === 'required') {
        // The PIN is checked whether or not the code matched, so the time taken (the hash) does
        // not tell which of the two was wrong.
        const stored = await db.selectFrom('user_pins').select('pin_hash').where('user_id', '=', user.id).executeTakeFirst();
        const pinCheck = stored !== undefined && typeof pin === 'string' && pin !== '' ? await verifyPin(pin, stored.pin_hash, deps.secrets, user.id) : { ok: false, needsRehash: false };
        if (!stored) return { ok: false, reason: 'UNUSABLE' };
        if (checked.ok && !pinCheck.ok) return { ok: false, reason: 'MISMATCH' };
        if (checked.ok && pinCheck.needsRehash) await upgradePinHash(user.id, pin as string, stored.pin_hash);
      }
      if (!checked.ok) return checked;
      return (await consume(checked.id, now)) ? { ok: true } : { ok: false, reason: 'REPLAY' };
    },
  };
  return factor;
}
