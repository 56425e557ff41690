/**
 * `POST /sms/inbound`: a reply to a text we sent (issue 20). A reply FRAUD (or the French
 * FRAUDE), alone, from the number a code was sent to while that code is alive, reports the
 * sign-in the code was for: the same `reportChallenge` as the mailed link and the call's `0`
 * (channel `sms`). "0" is not a keyword here: a user who replies the code or a stray digit must
 * not block themself. The request must carry the provider's signature (Twilio's inbound message
 * webhook with X-Twilio-Signature; the http gateway's JSON `{"from","text"}` with its HMAC
 * header). A forged signature is 403; an unknown number, an expired code, a repeated reply or
 * any other text is ignored (200, so the gateway does not retry) with a log line.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { maskPhone, xmlEscape, type SmsProviderConfig } from '../delivery/index.js';
import type { Clock } from '../kit/clock.js';
import type { Locale } from '../kit/i18n.js';
import type { Database, FactorRow } from '../store/schema.js';
import type { ChallengeFraudReporter } from './challenge-fraud-reporter.js';
import { providerSignatureValid, readCallbackParams } from './provider-callback.js';

export const SMS_INBOUND_PATH = '/sms/inbound';

/** The reply words that report fraud, compared after trimming, dropping end punctuation and upper-casing. */
export const FRAUD_REPLY_KEYWORDS: ReadonlySet<string> = new Set(['FRAUD', 'FRAUDE']);

/** Codes sent longer ago than this are not looked at (a reply that late says EXPIRED or UNKNOWN_NUMBER). */
const LOOK_BACK_MS = 24 * 3_600_000;

const CONFIRM: Record<Locale, string> = {
  en: 'Thank you: the sign-in is reported and stopped. Contact your IT support.',
  fr: 'Merci : la connexion est signalée et arrêtée. Contactez votre support informatique.',
};

export interface SmsReplyDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  providerConfig: SmsProviderConfig;
  defaultLocale: Locale;
  fraud: ChallengeFraudReporter;
  /** The sender's number in E.164, or null when it does not parse. */
  normalize(raw: string): string | null;
  /** The number a user's SMS method sends to (the factor's own `addressOf`). */
  addressOf(row: FactorRow): string | null;
}

type Outcome = 'REPORTED' | 'NOT_A_KEYWORD' | 'UNKNOWN_NUMBER' | 'EXPIRED' | 'ALREADY_REPORTED' | 'NOT_A_SIGN_IN';

export function isFraudReply(text: string): boolean {
  return FRAUD_REPLY_KEYWORDS.has(text.normalize('NFKC').trim().replace(/[\s.!]+$/u, '').toUpperCase());
}

export function mountSmsReplies(router: Router, deps: SmsReplyDeps): void {
  const log = deps.logger.child({ route: 'sms-inbound' });
  const text = express.text({ type: () => true, limit: '16kb' });

  /** The newest live code sent to this number, reported; or why nothing was. */
  async function reportFrom(from: string, now: number): Promise<{ outcome: Outcome; challengeId?: string }> {
    const codes = await deps.db
      .selectFrom('delivered_codes')
      .select(['challenge_id', 'factor_id', 'expires_at'])
      .where('kind', '=', 'sms')
      .where('issued_at', '>', now - LOOK_BACK_MS)
      .orderBy('issued_at', 'desc')
      .execute();
    if (codes.length === 0) return { outcome: 'UNKNOWN_NUMBER' };
    const factorIds = [...new Set(codes.map((c) => c.factor_id))];
    const factors = await deps.db.selectFrom('factors').selectAll().where('id', 'in', factorIds).execute();
    const ours = new Set(factors.filter((f) => deps.addressOf(f) === from).map((f) => f.id));
    const sent = codes.filter((c) => ours.has(c.factor_id));
    if (sent.length === 0) return { outcome: 'UNKNOWN_NUMBER' };
    const live = sent.filter((c) => c.expires_at > now);
    if (live.length === 0) return { outcome: 'EXPIRED', challengeId: sent[0]!.challenge_id };
    // A code of a portal number check is no sign-in: the next live one may be.
    for (const code of live) {
      const filed = await deps.fraud.reportChallenge({ challengeId: code.challenge_id, method: 'sms', channel: 'sms', now });
      if (filed.ok) return { outcome: 'REPORTED', challengeId: code.challenge_id };
      if (filed.reason === 'ALREADY_REPORTED') return { outcome: 'ALREADY_REPORTED', challengeId: code.challenge_id };
    }
    return { outcome: 'NOT_A_SIGN_IN' };
  }

  router.post(SMS_INBOUND_PATH, text, async (req: Request, res: Response) => {
    const now = deps.clock.now();
    const params = readCallbackParams(req);
    if (!providerSignatureValid(deps.providerConfig, deps.publicUrl, req, params, now)) {
      log.warn({ reason: 'BAD_SIGNATURE', clientIp: req.ip }, 'sms reply refused');
      res.status(403).type('text/plain').send('forbidden');
      return;
    }
    const from = deps.normalize(params.From ?? params.from ?? '');
    const body = params.Body ?? params.text ?? '';
    const result: { outcome: Outcome; challengeId?: string } = !isFraudReply(body)
      ? { outcome: 'NOT_A_KEYWORD' }
      : from === null
        ? { outcome: 'UNKNOWN_NUMBER' }
        : await reportFrom(from, now);
    const fields = { from: from ? maskPhone(from) : '-', challengeId: result.challengeId, reason: result.outcome };
    if (result.outcome === 'REPORTED') log.warn(fields, 'sms reply reported fraud');
    else log.info(fields, 'sms reply ignored');
    const reported = result.outcome === 'REPORTED';
    if (deps.providerConfig.type === 'twilio') {
      // Twilio sends the <Message> back to the sender; only a reporter gets one (never a stranger).
      res.type('text/xml').send(reported ? `<Response><Message>${xmlEscape(CONFIRM[deps.defaultLocale])}</Message></Response>` : '<Response></Response>');
    } else {
      res.json({ status: reported ? 'fraud-reported' : 'ignored' });
    }
  });
}
