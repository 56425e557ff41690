/**
 * Whether another code may be sent now, from the times of earlier sends. Pure, so the store
 * (which will count sends across hosts) only supplies timestamps; the rule lives here.
 * The limits guard the user against being flooded with messages and the operator against
 * SMS/voice toll fraud (OWASP Authentication Cheat Sheet, "SMS pumping").
 */
import type { CodeDeliveryPolicy } from './config.js';

export type SendLimitPolicy = Pick<CodeDeliveryPolicy, 'resendAfterSeconds' | 'maxSendsPerChallenge' | 'maxSendsPerUserPerHour'>;

export type SendDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** For the log and the audit record; the page says only "try again later" or offers another method. */
      reason: 'RESEND_TOO_SOON' | 'CHALLENGE_SEND_LIMIT' | 'USER_SEND_LIMIT';
      /** When a send would next be allowed; null when never (for this challenge). */
      retryAfterMs: number | null;
    };

const HOUR_MS = 3_600_000;

export function decideSend(input: {
  policy: SendLimitPolicy;
  now: number;
  /** Times (ms) of earlier sends for this challenge. */
  challengeSends: readonly number[];
  /** Times (ms) of earlier sends to this user, any challenge, at least the last hour's. */
  userSends: readonly number[];
}): SendDecision {
  const { policy, now } = input;
  if (input.challengeSends.length >= policy.maxSendsPerChallenge) {
    return { allowed: false, reason: 'CHALLENGE_SEND_LIMIT', retryAfterMs: null };
  }
  const last = Math.max(-Infinity, ...input.challengeSends);
  const resendAt = last + policy.resendAfterSeconds * 1000;
  if (now < resendAt) {
    return { allowed: false, reason: 'RESEND_TOO_SOON', retryAfterMs: resendAt - now };
  }
  const recent = input.userSends.filter((t) => t > now - HOUR_MS).sort((a, b) => a - b);
  if (recent.length >= policy.maxSendsPerUserPerHour) {
    // The window reopens when the oldest send inside it leaves.
    const oldestThatMustLeave = recent[recent.length - policy.maxSendsPerUserPerHour]!;
    return { allowed: false, reason: 'USER_SEND_LIMIT', retryAfterMs: oldestThatMustLeave + HOUR_MS - now };
  }
  return { allowed: true };
}
