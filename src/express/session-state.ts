/**
 * What `factorgate/express` keeps in the app's session (express-session, cookie-session, or any
 * `req.session` object): the requests sent to factorgate and not yet answered (their nonces bind
 * a result to this browser's session and this user), and the last verified second factor.
 */
import type { Request } from 'express';

/** `req.user.mfa`: what factorgate verified. */
export interface MfaFacts {
  /** Factor kinds used ('totp', 'sms', 'webauthn', …). */
  methods: string[];
  /** When the factor was verified, ms since the epoch. */
  at: number;
}

export interface PendingRequest {
  nonce: string;
  user: string;
  returnTo: string;
  /** Until when factorgate may answer it (ms). */
  until: number;
}

export interface VerifiedFactor extends MfaFacts {
  user: string;
  multiFactor: boolean;
}

export interface FactorgateSessionData {
  pending?: PendingRequest[];
  mfa?: VerifiedFactor;
}

/** How many unanswered requests one session keeps (several tabs); the oldest go first. */
const MAX_PENDING = 5;

type SessionLike = Record<string, unknown> & { regenerate?: (cb: (err?: unknown) => void) => void; save?: (cb: (err?: unknown) => void) => void };

export function sessionOf(req: Request): SessionLike | null {
  const s = (req as unknown as { session?: unknown }).session;
  return s !== null && typeof s === 'object' ? (s as SessionLike) : null;
}

function data(session: SessionLike): FactorgateSessionData {
  const d = session.factorgate;
  if (d !== null && typeof d === 'object') return d as FactorgateSessionData;
  const fresh: FactorgateSessionData = {};
  session.factorgate = fresh;
  return fresh;
}

export function addPending(session: SessionLike, pending: PendingRequest, now: number): void {
  const d = data(session);
  d.pending = [...(d.pending ?? []).filter((p) => p.until > now), pending].slice(-MAX_PENDING);
}

/** Removes and answers the live request with this nonce, if this session sent one. */
export function takePending(session: SessionLike, nonce: string, now: number): PendingRequest | null {
  const d = data(session);
  const all = d.pending ?? [];
  const found = all.find((p) => p.nonce === nonce && p.until > now) ?? null;
  d.pending = all.filter((p) => p.nonce !== nonce && p.until > now);
  return found;
}

export function recordFactor(session: SessionLike, factor: VerifiedFactor): void {
  data(session).mfa = factor;
}

export function verifiedFactor(session: SessionLike): VerifiedFactor | null {
  return data(session).mfa ?? null;
}

/**
 * A fresh session id after the factor (session fixation): through passport's `req.login` when
 * the app uses passport (it regenerates, keeping the session's data), else the session's own
 * `regenerate` with the data carried over.
 */
export function regenerate(req: Request, user: unknown): Promise<void> {
  const login = (req as unknown as { login?: (user: unknown, options: { keepSessionInfo: boolean }, cb: (err?: unknown) => void) => void }).login;
  const session = sessionOf(req);
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve());
    if (typeof login === 'function' && user !== undefined && user !== null) {
      login.call(req, user, { keepSessionInfo: true }, done);
      return;
    }
    if (!session || typeof session.regenerate !== 'function') return resolve();
    const kept = Object.fromEntries(Object.entries(session).filter(([k, v]) => k !== 'cookie' && typeof v !== 'function'));
    session.regenerate((err) => {
      if (err) return done(err);
      const next = sessionOf(req);
      if (next) Object.assign(next, kept);
      if (next && typeof next.save === 'function') next.save(done);
      else resolve();
    });
  });
}
