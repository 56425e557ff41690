/**
 * "Remember this device" (issue 20): after a second factor at an app whose policy allows it, the
 * browser gets an HttpOnly cookie (Secure and `__Host-` over HTTPS) that names a row of
 * `remembered_devices` and carries an HMAC binding that row to the user and the app. A later
 * sign-in of the same user at the same app skips the challenge while the row is neither revoked
 * nor expired. A cookie whose MAC does not match (forged, edited), or that belongs to another
 * user or app, is refused and reported; the store never holds anything a cookie could be
 * rebuilt from (the MAC key is derived from the key ring).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database, RememberedDeviceRow } from '../store/schema.js';
import type { CookiePolicy } from '../http/cookies.js';
import { browserLabel } from './browser-label.js';

/** The purpose the MAC key is derived under (`SecretBox.deriveKey`). */
export const REMEMBERED_DEVICE_KEY_PURPOSE = 'remembered-device-cookie';

/** Why a presented cookie was not honoured; `NONE` when the browser sent none. */
export type DeviceRefusal = 'NONE' | 'MALFORMED' | 'FORGED' | 'OTHER_USER' | 'OTHER_APP' | 'REVOKED' | 'EXPIRED' | 'PASSWORD_CHANGED';

export type DeviceCheck = { ok: true; device: RememberedDeviceRow } | { ok: false; reason: DeviceRefusal };

/** Why a device was revoked (`revoked_reason`). */
export type RevokeReason = 'user' | 'method-reset' | 'password-change' | 'admin' | 'fraud-report';

const ID = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

export class RememberedDevices {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly key: Buffer,
    private readonly cookies: CookiePolicy,
  ) {}

  /** One cookie per app, so remembering at one app does not replace another's. */
  cookieBase(app: string): string {
    return `fg_rd_${createHash('sha256').update(app).digest('base64url').slice(0, 12)}`;
  }

  #mac(id: string, userId: string, app: string): string {
    return createHmac('sha256', this.key).update(`rd1\0${id}\0${userId}\0${app}`).digest('base64url');
  }

  /** Records the device and sets its cookie for `days` days. */
  async remember(res: Response, input: { userId: string; app: string; userAgent: string | undefined; now: number; days: number }): Promise<RememberedDeviceRow> {
    const id = randomBytes(16).toString('base64url');
    const maxAge = input.days * 24 * 3600_000;
    const row: RememberedDeviceRow = {
      id,
      user_id: input.userId,
      app: input.app,
      browser_label: browserLabel(input.userAgent),
      created_at: input.now,
      last_used_at: input.now,
      expires_at: input.now + maxAge,
      revoked_at: null,
      revoked_reason: null,
    };
    await this.db.insertInto('remembered_devices').values(row).execute();
    this.cookies.set(res, this.cookieBase(input.app), `${id}.${this.#mac(id, input.userId, input.app)}`, maxAge);
    return row;
  }

  /**
   * Whether this browser's cookie for `app` lets `userId` skip the challenge now. A cookie of
   * another user or app, or one whose MAC is wrong, is refused with its reason (for the audit).
   */
  async check(req: Request, input: { userId: string; app: string; now: number }): Promise<DeviceCheck> {
    const value = this.cookies.read(req, this.cookieBase(input.app));
    if (value === undefined) return { ok: false, reason: 'NONE' };
    const [id = '', mac = '', extra] = value.split('.');
    if (!ID.test(id) || !MAC.test(mac) || extra !== undefined) return { ok: false, reason: 'MALFORMED' };
    // One query: the device and when its user's password last changed (checked below).
    const found = await this.db
      .selectFrom('remembered_devices')
      .leftJoin('users', 'users.id', 'remembered_devices.user_id')
      .selectAll('remembered_devices')
      .select('users.password_changed_at')
      .where('remembered_devices.id', '=', id)
      .executeTakeFirst();
    if (found && found.user_id !== input.userId) return { ok: false, reason: 'OTHER_USER' };
    if (found && found.app !== input.app) return { ok: false, reason: 'OTHER_APP' };
    const want = Buffer.from(this.#mac(id, input.userId, input.app));
    if (!found || !timingSafeEqual(want, Buffer.from(mac))) return { ok: false, reason: 'FORGED' };
    const { password_changed_at: passwordChangedAt, ...row } = found;
    if (row.revoked_at !== null) return { ok: false, reason: 'REVOKED' };
    if (row.expires_at <= input.now) return { ok: false, reason: 'EXPIRED' };
    // A password changed in the directory after the device was remembered ends it (the sync or
    // sign-in that saw the change revokes it too; this catches a change seen by another path).
    if (passwordChangedAt !== null && passwordChangedAt > row.created_at) {
      await this.revoke(input.userId, id, input.now, 'password-change');
      return { ok: false, reason: 'PASSWORD_CHANGED' };
    }
    await this.db.updateTable('remembered_devices').set({ last_used_at: input.now }).where('id', '=', id).execute();
    return { ok: true, device: { ...row, last_used_at: input.now } };
  }

  /** Drops this browser's cookie for `app` (after a refusal, so it is not sent again). */
  forget(res: Response, app: string): void {
    this.cookies.clear(res, this.cookieBase(app));
  }

  /** The user's devices still in force, most recently used first. */
  async list(userId: string, now: number): Promise<RememberedDeviceRow[]> {
    return this.db
      .selectFrom('remembered_devices')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('last_used_at', 'desc')
      .orderBy('id')
      .execute();
  }

  /** Revokes one of the user's devices; false when the user has no such device in force. */
  async revoke(userId: string, id: string, now: number, reason: RevokeReason): Promise<boolean> {
    const r = await this.db
      .updateTable('remembered_devices')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Revokes every device of the user; the count revoked. */
  async revokeAll(userId: string, now: number, reason: RevokeReason): Promise<number> {
    return revokeAllDevices(this.db, userId, now, reason);
  }
}

/** Every device of the user revoked (for callers that hold only the store: admin reset). */
export async function revokeAllDevices(db: Kysely<Database>, userId: string, now: number, reason: RevokeReason): Promise<number> {
  const r = await db
    .updateTable('remembered_devices')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
