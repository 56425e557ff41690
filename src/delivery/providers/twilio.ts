/**
 * Twilio's REST API (2010-04-01): Messages for SMS, Calls with inline TwiML for voice. Requests
 * are form-encoded with HTTP Basic auth (account SID : auth token), as Twilio documents; no SDK,
 * so the exact bytes on the wire are ours and tested against a local stand-in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { TwilioProviderConfig } from '../config.js';
import type { Locale } from '../locale.js';
import { voiceScript } from '../messages.js';
import { requestWithRetry, type GatewayReply } from './request-with-retry.js';
import type { CallRequest, MessageProvider, ProviderDeps, SmsRequest } from './types.js';

/** XML 1.0 §2.4 and §3.3.3: escapes for text and double-quoted attribute values. */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Characters XML 1.0 forbids (C0 controls but TAB/LF/CR, U+FFFE/U+FFFF) would make Twilio
    // reject the whole document; they carry nothing speakable.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

export function buildTwiml(req: CallRequest, locale: Locale, productName: string): string {
  const script = voiceScript(locale, productName);
  const lang = xmlEscape(script.language);
  const say = (text: string) => `<Say language="${lang}">${xmlEscape(text)}</Say>`;
  if (req.mode === 'read-code') {
    return `<Response>${say(script.codeIntro(req.code))}<Pause length="1"/>${say(script.repeat(req.code))}</Response>`;
  }
  // finishOnKey="" rather than "#": Twilio does not call the action URL when the finish key is
  // pressed before any digit, it falls through to the next verb. With no finish key and one
  // digit, "#" itself is the digit collected and arrives at the callback as Digits=%23; "0" (the
  // fraud key of "0#") arrives alone at once, without waiting for the "#".
  return (
    `<Response><Gather input="dtmf" numDigits="1" finishOnKey="" timeout="10" method="POST" action="${xmlEscape(req.callbackUrl)}">` +
    `${say(script.pressPound)}</Gather>${say(script.noInput)}</Response>`
  );
}

/**
 * Checks the `X-Twilio-Signature` of a callback (the press-pound `action` request), as Twilio's
 * security documentation defines it: base64 HMAC-SHA1, keyed with the auth token, over the full
 * URL Twilio called followed by every POST parameter, sorted by name, as name then value. The
 * URL must be the public one Twilio used, not the one seen behind a TLS-terminating proxy.
 */
export function verifyTwilioSignature(input: {
  authToken: string;
  url: string;
  params: Readonly<Record<string, string>>;
  signature: string | undefined;
}): boolean {
  if (!input.signature) return false;
  let data = input.url;
  for (const key of Object.keys(input.params).sort()) data += key + input.params[key];
  const expected = createHmac('sha1', input.authToken).update(data, 'utf8').digest();
  const given = Buffer.from(input.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Twilio's error body: `{ code, message, more_info, status }`. */
function describeTwilioError(reply: GatewayReply): string {
  try {
    const err = JSON.parse(reply.text) as { code?: unknown; message?: unknown };
    if (typeof err.code === 'number' || typeof err.message === 'string') {
      return `twilio error ${String(err.code ?? '?')}: ${String(err.message ?? '')}`;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return reply.text;
}

export function createTwilioProvider(config: TwilioProviderConfig, deps: ProviderDeps): MessageProvider {
  const fetchFn = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms).then(() => undefined));
  const productName = deps.productName ?? 'factorgate';
  const defaultLocale: Locale = deps.defaultLocale ?? 'en';
  const log = deps.logger.child({ provider: 'twilio' });
  const base = config.baseUrl.replace(/\/+$/, '');
  const account = encodeURIComponent(config.accountSid);
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;

  async function post(resource: 'Messages' | 'Calls', form: URLSearchParams, secrets: string[]) {
    const reply = await requestWithRetry(
      () => ({
        url: `${base}/2010-04-01/Accounts/${account}/${resource}.json`,
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': 'factorgate',
        },
        body: form.toString(),
      }),
      {
        provider: 'twilio',
        fetch: fetchFn,
        sleep,
        logger: log,
        timeoutMs: config.timeoutMs,
        retries: config.retries,
        retryDelayMs: config.retryDelayMs,
        secrets: [...secrets, config.authToken],
      },
      describeTwilioError,
    );
    let sid: string | undefined;
    try {
      const parsed = JSON.parse(reply.text) as { sid?: unknown };
      sid = typeof parsed.sid === 'string' ? parsed.sid : undefined;
    } catch {
      sid = undefined;
    }
    if (!sid) {
      log.warn({ resource, status: reply.status }, 'twilio accepted the request but its reply has no sid');
    }
    log.info({ resource, status: reply.status, providerMessageId: sid }, 'twilio accepted message');
    return { providerMessageId: sid ?? 'unknown' };
  }

  /** A Messaging Service (MG…) picks the sender itself; anything else is the From number. */
  function sender(form: URLSearchParams, channel: 'sms' | 'voice') {
    if (channel === 'sms' && /^MG[0-9a-fA-F]{32}$/.test(config.from)) form.set('MessagingServiceSid', config.from);
    else form.set('From', config.from);
  }

  return {
    type: 'twilio',
    sendSms(req: SmsRequest) {
      const form = new URLSearchParams({ To: req.to });
      sender(form, 'sms');
      form.set('Body', req.body);
      return post('Messages', form, [req.body, ...(req.code ? [req.code] : [])]);
    },
    placeCall(req: CallRequest) {
      const twiml = buildTwiml(req, req.locale ?? defaultLocale, productName);
      const form = new URLSearchParams({ To: req.to });
      sender(form, 'voice');
      form.set('Twiml', twiml);
      return post('Calls', form, req.mode === 'read-code' ? [req.code, twiml] : []);
    },
  };
}
