/**
 * `POST /mfa/voice-callback?token=…`: the provider reports the key the user pressed during a
 * press-pound call. The token (256 bits, stored hashed) names the call; the request must also
 * carry the provider's signature — Twilio's `X-Twilio-Signature` (HMAC-SHA1 over the URL and
 * parameters, keyed with the auth token), or for the http provider the same
 * `t=<unix>,v1=<HMAC-SHA256>` header factorgate signs its own requests with — so a leaked URL
 * alone cannot approve a sign-in. The token travels in the query string because the request
 * log redacts `token=` there, while a path segment would be logged whole.
 *
 * The keys follow the MFA Server's convention: `#` approves, `0#` reports fraud. The Gather
 * collects one digit, so `0` alone already arrives (the `#` after it is not waited for); a
 * gateway that collects up to `#` sends `0#`. A report ends the challenge and goes through the
 * same `reportChallenge` as the mailed link (channel `voice`).
 */
import express, { type Request, type Response, type Router } from 'express';
import { xmlEscape } from '../delivery/index.js';
import type { AuditApi, UserApi } from '../api/host-api.js';
import type { ProviderConfig } from '../delivery/index.js';
import type { Locale } from '../kit/i18n.js';
import type { ChallengeFraudReporter } from './challenge-fraud-reporter.js';
import { providerSignatureValid, readCallbackParams } from './provider-callback.js';
import { callbackHash, VOICE_CALLBACK_PATH, type DeliveredCodeFactorDeps } from './delivered-code-factor.js';

/** What the callback needs: the voice factor passes its own deps (the route never imports the factor). */
export interface VoiceCallbackDeps extends Pick<DeliveredCodeFactorDeps, 'db' | 'clock' | 'logger' | 'publicUrl'> {
  /** The provider's configuration: the callback checks signatures with its secret. */
  providerConfig: ProviderConfig;
  defaultLocale: Locale;
  audit: AuditApi;
  users: Pick<UserApi, 'findById'>;
  /** Files the report when the user presses `0` (the host's FraudReports). */
  fraud: ChallengeFraudReporter;
}

/** The keys that report fraud: `0`, or `0#` from a gateway that collects up to the pound key. */
const FRAUD_KEYS: ReadonlySet<string> = new Set(['0', '0#']);

const THANKS = {
  en: {
    language: 'en-US',
    ok: 'Thank you. Your sign-in is approved. Goodbye.',
    no: 'Sign-in not approved. Goodbye.',
    fraud: 'Thank you. The sign-in is reported and stopped, and your IT support is told. Goodbye.',
  },
  fr: {
    language: 'fr-FR',
    ok: 'Merci. Votre connexion est approuvée. Au revoir.',
    no: 'Connexion non approuvée. Au revoir.',
    fraud: 'Merci. La connexion est signalée et arrêtée, et votre support informatique est prévenu. Au revoir.',
  },
} as const;

export function mountVoiceCallback(router: Router, deps: VoiceCallbackDeps): void {
  const log = deps.logger.child({ route: 'voice-callback' });
  const text = express.text({ type: () => true, limit: '16kb' });

  /** `#`: the call's row is confirmed once, within its lifetime; the page's Continue then consumes it. */
  const approve = async (id: string, now: number) => {
    const r = await deps.db
      .updateTable('delivered_codes')
      .set({ confirmed_at: now })
      .where('id', '=', id)
      .where('confirmed_at', 'is', null)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? ('approved' as const) : ('EXPIRED_OR_USED' as const);
  };

  /** `0`: within the call's lifetime and not yet approved, the challenge is reported (once). */
  const reportFraud = async (row: { challenge_id: string; confirmed_at: number | null; consumed_at: number | null; expires_at: number }, now: number) => {
    if (row.confirmed_at !== null || row.consumed_at !== null || row.expires_at <= now) return 'EXPIRED_OR_USED' as const;
    const filed = await deps.fraud.reportChallenge({ challengeId: row.challenge_id, method: 'voice', channel: 'voice', now });
    if (filed.ok) return 'reported' as const;
    // A portal number check is not a sign-in (UNKNOWN_CHALLENGE); a second 0 finds ALREADY_REPORTED.
    log.warn({ challengeId: row.challenge_id, reason: filed.reason }, 'voice fraud key not filed');
    return filed.reason === 'ALREADY_REPORTED' ? ('ALREADY_REPORTED' as const) : ('NOT_A_SIGN_IN' as const);
  };

  router.post(VOICE_CALLBACK_PATH, text, async (req: Request, res: Response) => {
    const now = deps.clock.now();
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const row = /^[A-Za-z0-9_-]{43}$/.test(token)
      ? await deps.db.selectFrom('delivered_codes').selectAll().where('callback_hash', '=', callbackHash(token)).where('mode', '=', 'press-pound').executeTakeFirst()
      : undefined;
    if (!row) {
      log.warn({ reason: 'UNKNOWN_CALLBACK' }, 'voice callback for no known call');
      res.status(404).type('text/plain').send('not found');
      return;
    }
    const user = await deps.users.findById(row.user_id);
    const audit = { user, method: 'voice', deviceToken: row.factor_id, challengeId: row.challenge_id, clientIp: req.ip };
    const params = readCallbackParams(req);
    if (!providerSignatureValid(deps.providerConfig, deps.publicUrl, req, params, now)) {
      log.warn({ challengeId: row.challenge_id, reason: 'BAD_SIGNATURE' }, 'voice callback refused');
      await deps.audit.record({ event: 'voice-callback', result: 'failure', ...audit, denyReason: 'BAD_SIGNATURE', detail: `${deps.providerConfig.type} callback signature missing or wrong` });
      res.status(403).type('text/plain').send('forbidden');
      return;
    }
    const digits = params.Digits ?? params.digits ?? '';
    const outcome = digits === '#' ? await approve(row.id, now) : FRAUD_KEYS.has(digits) ? await reportFraud(row, now) : ('NOT_PRESSED' as const);
    const approved = outcome === 'approved';
    const reported = outcome === 'reported';
    const denyReason = approved ? undefined : reported ? 'FRAUD_REPORTED' : outcome;
    log.info({ challengeId: row.challenge_id, approved, reported, reason: denyReason }, 'voice callback');
    await deps.audit.record({ event: 'voice-callback', result: approved ? 'success' : 'failure', ...audit, denyReason });
    const words = THANKS[deps.defaultLocale];
    if (deps.providerConfig.type === 'twilio') {
      res.type('text/xml').send(`<Response><Say language="${words.language}">${xmlEscape(approved ? words.ok : reported ? words.fraud : words.no)}</Say></Response>`);
    } else {
      res.json({ status: approved ? 'approved' : reported ? 'fraud-reported' : 'not-approved' });
    }
  });
}
