/**
 * The one interface every SMS/voice gateway implements. A provider either returns the
 * gateway's message id or throws `FactorgateError('DELIVERY_FAILED', { detail })`; the detail
 * (never containing the code) is what the log and the audit record give as the reason, and the
 * challenge page then offers the user's other methods.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../kit/clock.js';
import type { Locale } from '../locale.js';

export interface SmsRequest {
  /** E.164 number (see `toE164`). */
  to: string;
  /** The whole text to send (see `smsText`). */
  body: string;
  /**
   * The one-time code inside `body`, when there is one: it fills a body template's
   * `{{code}}` and is scrubbed from anything a gateway echoes back into logs.
   */
  code?: string | undefined;
  locale?: Locale | undefined;
}

/**
 * `read-code`: the call reads the code aloud. `press-pound`: the call asks the user to press
 * # to approve, and the gateway reports the key to `callbackUrl` (the host verifies it).
 */
export type CallRequest =
  | { to: string; mode: 'read-code'; code: string; locale?: Locale | undefined }
  | { to: string; mode: 'press-pound'; callbackUrl: string; locale?: Locale | undefined };

export interface SentMessage {
  /** The gateway's id for the message or call, for the audit record and support cases. */
  providerMessageId: string;
}

export interface MessageProvider {
  readonly type: 'console' | 'http' | 'twilio';
  sendSms(req: SmsRequest): Promise<SentMessage>;
  placeCall(req: CallRequest): Promise<SentMessage>;
}

export type FetchFn = typeof fetch;
export type SleepFn = (ms: number) => Promise<void>;

/** What a provider gets from the host; tests inject fetch, sleep and the clock. */
export interface ProviderDeps {
  logger: Logger;
  fetch?: FetchFn | undefined;
  sleep?: SleepFn | undefined;
  clock?: Clock | undefined;
  /** Named in spoken and written messages. Default factorgate. */
  productName?: string | undefined;
  /** Locale of messages when a request names none. Default en. */
  defaultLocale?: Locale | undefined;
}
