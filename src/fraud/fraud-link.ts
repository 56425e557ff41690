/**
 * The "This wasn't me" link a sent code carries (issue 20): `${publicUrl}/fraud/report?t=<token>`.
 * The token is `<challengeId>.<expiresAt>.<mac>`, the MAC an HMAC-SHA256 over both with a key
 * derived from the secrets key ring for this purpose only (`FRAUD_LINK_INFO`), so a challenge id
 * alone, a changed expiry or a token from another deployment is refused. It lives as long as the
 * code plus a margin, long enough for a user who reads the mail late to still report it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DerivedKeys } from '../store/derived-keys.js';
import type { Clock } from '../kit/clock.js';

export const FRAUD_LINK_INFO = 'factorgate fraud-link v1';
export const FRAUD_LINK_PATH = '/fraud/report';
/** How long after the code expires its link still reports. */
export const FRAUD_LINK_MARGIN_MS = 24 * 3_600_000;

export type FraudLinkCheck = { ok: true; challengeId: string } | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' };

export class FraudLinks {
  constructor(
    private readonly keys: Pick<DerivedKeys, 'current' | 'accepted'>,
    private readonly publicUrl: string,
    private readonly clock: Clock,
  ) {}

  static #mac(key: Buffer, payload: string): string {
    return createHmac('sha256', key).update(payload).digest('base64url');
  }

  /** The link for a code of this challenge that expires at `codeExpiresAt` (epoch ms). */
  url(challengeId: string, codeExpiresAt: number): string {
    const payload = `${challengeId}.${codeExpiresAt + FRAUD_LINK_MARGIN_MS}`;
    return `${this.publicUrl}${FRAUD_LINK_PATH}?t=${payload}.${FraudLinks.#mac(this.keys.current(), payload)}`;
  }

  /** Whether the token is one of ours, untouched and in time; which challenge it names. */
  check(token: string): FraudLinkCheck {
    const m = /^([A-Za-z0-9_-]{43})\.(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return { ok: false, reason: 'MALFORMED' };
    const [, challengeId, expires, mac] = m as unknown as [string, string, string, string];
    const sent = Buffer.from(mac);
    let ok = false;
    // Every accepted key is tried (no early exit), as the CSRF check does.
    for (const key of this.keys.accepted()) {
      const expected = Buffer.from(FraudLinks.#mac(key, `${challengeId}.${expires}`));
      ok = (expected.length === sent.length && timingSafeEqual(expected, sent)) || ok;
    }
    if (!ok) return { ok: false, reason: 'BAD_SIGNATURE' };
    if (this.clock.now() > Number(expires)) return { ok: false, reason: 'EXPIRED' };
    return { ok: true, challengeId };
  }
}
