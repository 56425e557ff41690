/**
 * Which enrolment mail a user gets: the way they will meet their second step first. A method the
 * user already holds decides (a hardware token, then a registered authenticator app), so nobody
 * holding a token is told to install an app; otherwise the method `provision` will set up from
 * the directory's data (code + PIN, SMS, voice), else the invitation to register an app.
 */
import type { HostConfig } from '../config/schema.js';
import type { UserRow } from '../store/schema.js';
import { phoneFor } from '../factors/sms-factor.js';

export type MailPlan =
  | { method: 'token' }
  | { method: 'app' }
  /** The PIN itself is drawn only when the mail is really sent (never in a dry run). */
  | { method: 'pin' }
  | { method: 'sms' | 'voice'; phone: string }
  | { method: 'totp'; portalUrl: string };

/** `held` are the kinds of the user's confirmed methods (`factors.kind`: 'oath', 'totp', …). */
export function planMail(user: UserRow, held: ReadonlySet<string>, config: HostConfig): MailPlan {
  if (held.has('oath')) return { method: 'token' };
  if (held.has('totp')) return { method: 'app' };
  const region = config.delivery?.defaultRegion ?? 'US';
  const { sms, voice } = config.factors;
  const smsTo = sms && config.delivery?.sms ? phoneFor([user.mobile, user.phone], region) : null;
  const voiceTo = voice && config.delivery?.voice ? phoneFor([user.phone, user.mobile], region) : null;
  if ((smsTo && sms?.pin === 'required') || (!smsTo && voiceTo && voice?.pin === 'required')) return { method: 'pin' };
  if (smsTo) return { method: 'sms', phone: smsTo };
  if (voiceTo) return { method: 'voice', phone: voiceTo };
  return { method: 'totp', portalUrl: `${config.publicUrl}/login` };
}
