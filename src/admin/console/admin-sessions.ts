/**
 * The /admin console's own session, apart from the single sign-on one: its own cookie
 * (`fg_admin`, HttpOnly, SameSite=Lax, `__Host-` when Secure), a shorter idle time
 * (`admin.sessionIdle`) and an absolute one (`admin.sessionMax`), and bound to the browser that
 * passed the second factor: the store keeps the SHA-256 of that browser's binding cookie
 * (src/challenge/browser-binding.ts), so a copied console cookie alone opens nothing. Only the
 * token's SHA-256 is stored (a copy of the database yields no live session).
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Clock } from '../../kit/clock.js';
import type { CookiePolicy } from '../../http/cookies.js';
import { hashToken } from '../../http/sessions.js';
import { BINDING_COOKIE, hashBinding, isSameBrowser } from '../../challenge/browser-binding.js';
import { isConsoleRole, type ConsoleRole } from './admin-roles.js';

export const ADMIN_COOKIE = 'fg_admin';
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSession {
  id: string;
  userId: string;
  /** The admin's username: who acts, in every audit record. */
  name: string;
  role: ConsoleRole;
}

export type AdminSessionEnd = 'none' | 'idle' | 'expired' | 'other-browser' | 'user-disabled';

export class AdminSessions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly cookies: CookiePolicy,
    private readonly idleMs: number,
    private readonly maxMs: number,
  ) {}

  /** The valid session of this request, or why there is none (for the log). Touches it. */
  async get(req: Request): Promise<{ session: AdminSession } | { session: null; end: AdminSessionEnd }> {
    const token = this.cookies.read(req, ADMIN_COOKIE);
    if (!token || !WELL_FORMED.test(token)) return { session: null, end: 'none' };
    const id = hashToken(token);
    const row = await this.db
      .selectFrom('admin_sessions')
      .innerJoin('users', 'users.id', 'admin_sessions.user_id')
      .select(['admin_sessions.user_id', 'admin_sessions.admin_name', 'admin_sessions.role', 'admin_sessions.browser_hash', 'admin_sessions.last_seen_at', 'admin_sessions.expires_at', 'users.disabled', 'users.admin_disabled'])
      .where('admin_sessions.id', '=', id)
      .executeTakeFirst();
    if (!row) return { session: null, end: 'none' };
    const now = this.clock.now();
    const end: AdminSessionEnd | null =
      row.expires_at <= now ? 'expired' : row.last_seen_at + this.idleMs <= now ? 'idle' : row.disabled === 1 || row.admin_disabled === 1 ? 'user-disabled' : null;
    if (end) {
      await this.db.deleteFrom('admin_sessions').where('id', '=', id).execute();
      return { session: null, end };
    }
    // Not deleted: the owner's browser still holds the binding and may go on.
    if (!isSameBrowser(this.cookies, req, row.browser_hash)) return { session: null, end: 'other-browser' };
    if (!isConsoleRole(row.role)) return { session: null, end: 'none' };
    await this.db.updateTable('admin_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
    return { session: { id, userId: row.user_id, name: row.admin_name, role: row.role } };
  }

  /**
   * Starts a session for a user who just passed password and second factor in this browser.
   * Null when the browser holds no binding cookie (it cannot have passed a challenge).
   */
  async create(req: Request, res: Response, input: { userId: string; name: string; role: ConsoleRole }): Promise<AdminSession | null> {
    const binding = this.cookies.read(req, BINDING_COOKIE);
    if (!binding || !WELL_FORMED.test(binding)) return null;
    // The browser's earlier console session, if any, ends: one per browser, never reused.
    const earlier = this.cookies.read(req, ADMIN_COOKIE);
    if (earlier && WELL_FORMED.test(earlier)) await this.db.deleteFrom('admin_sessions').where('id', '=', hashToken(earlier)).execute();
    const token = randomBytes(32).toString('base64url');
    const id = hashToken(token);
    const now = this.clock.now();
    await this.db
      .insertInto('admin_sessions')
      .values({ id, user_id: input.userId, admin_name: input.name, role: input.role, browser_hash: hashBinding(binding), created_at: now, last_seen_at: now, expires_at: now + this.maxMs })
      .execute();
    // A session cookie (no Max-Age): it also ends when the browser closes.
    this.cookies.set(res, ADMIN_COOKIE, token);
    return { id, userId: input.userId, name: input.name, role: input.role };
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const token = this.cookies.read(req, ADMIN_COOKIE);
    if (token && WELL_FORMED.test(token)) await this.db.deleteFrom('admin_sessions').where('id', '=', hashToken(token)).execute();
    this.cookies.clear(res, ADMIN_COOKIE);
  }
}
