/**
 * Forward-auth sessions: a random token in a cookie (scoped to the parent domain when
 * configured), the user's facts in the adapter's keyed state under the token's hash, so a
 * stolen store dump holds no usable cookie. Created only after a sign-in ended in factorgate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie, type HostServices } from '../../src/sdk/adapter.js';

export interface ForwardSession {
  userId: string;
  username: string;
  email: string | null;
  displayName: string | null;
  groups: string[];
  methods: string[];
  multiFactor: boolean;
  /** When the factor was verified (ms since the epoch). */
  at: number;
  expiresAt: number;
}

export interface SessionCookieOptions {
  name: string;
  domain: string | undefined;
  secure: boolean;
  lifetimeMs: number;
}

const keyOf = (token: string): string => `session:${createHash('sha256').update(token).digest('base64url')}`;

export class ForwardSessions {
  constructor(
    private readonly host: Pick<HostServices, 'state' | 'clock'>,
    private readonly cookie: SessionCookieOptions,
  ) {}

  async create(res: Response, facts: Omit<ForwardSession, 'expiresAt'>): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.host.clock.now() + this.cookie.lifetimeMs;
    await this.host.state.put(keyOf(token), { ...facts, expiresAt } satisfies ForwardSession, this.cookie.lifetimeMs);
    res.cookie(this.cookie.name, token, this.options(this.cookie.lifetimeMs));
  }

  async read(req: Request): Promise<ForwardSession | null> {
    const token = readCookie(req, this.cookie.name);
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const session = await this.host.state.get<ForwardSession>(keyOf(token));
    if (!session || session.expiresAt <= this.host.clock.now()) return null;
    return session;
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const token = readCookie(req, this.cookie.name);
    if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) await this.host.state.delete(keyOf(token));
    res.clearCookie(this.cookie.name, this.options(undefined));
  }

  private options(maxAge: number | undefined) {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.cookie.secure,
      path: '/',
      ...(this.cookie.domain ? { domain: this.cookie.domain } : {}),
      ...(maxAge !== undefined ? { maxAge } : {}),
    };
  }
}
