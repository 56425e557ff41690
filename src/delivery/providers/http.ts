/**
 * Generic JSON webhook: most SMS gateways take "POST a JSON document with the number and the
 * text". The body is the configured template with JSON-escaped values, so a display name or a
 * message cannot break out of its string. An optional HMAC-SHA256 signature over
 * "<timestamp>.<body>" lets the receiver check origin and freshness (the timestamp bounds
 * replays of a captured request).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '../../kit/clock.js';
import type { HttpProviderConfig } from '../config.js';
import { HTTP_BODY_PLACEHOLDERS } from '../config.js';
import type { Locale } from '../locale.js';
import { voiceScript } from '../messages.js';
import { requestWithRetry } from './request-with-retry.js';
import type { CallRequest, MessageProvider, ProviderDeps, SmsRequest } from './types.js';

type Placeholder = (typeof HTTP_BODY_PLACEHOLDERS)[number];
type Values = Partial<Record<Placeholder, string>>;

/** The characters of a JSON string literal's content (RFC 8259 §7), without the quotes. */
function jsonStringContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

export function renderBodyTemplate(template: string, values: Values): string {
  return template.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_, name: string) =>
    jsonStringContent(values[name as Placeholder] ?? ''),
  );
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signBody(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

function pickField(json: unknown, path: string): string | undefined {
  let cur: unknown = json;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'string' || typeof cur === 'number' ? String(cur) : undefined;
}

export function createHttpProvider(config: HttpProviderConfig, deps: ProviderDeps): MessageProvider {
  const fetchFn = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms).then(() => undefined));
  const clock = deps.clock ?? systemClock;
  const productName = deps.productName ?? 'factorgate';
  const defaultLocale: Locale = deps.defaultLocale ?? 'en';
  const log = deps.logger.child({ provider: 'http' });

  async function send(channel: 'sms' | 'voice', values: Values, secrets: string[]) {
    const body = renderBodyTemplate(config.bodyTemplate, values);
    // One id for every try of this message: a gateway honouring Idempotency-Key
    // (draft-ietf-httpapi-idempotency-key-header) sends it once even if a reply was lost.
    const deliveryId = randomUUID();
    const reply = await requestWithRetry(
      () => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': 'factorgate',
          'idempotency-key': deliveryId,
        };
        // Header names are case-insensitive (RFC 9110 §5.1): a configured "Content-Type" replaces
        // ours instead of being sent beside it.
        for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
        if (config.hmacSecret) {
          const t = Math.floor(clock.now() / 1000);
          headers[config.signatureHeader.toLowerCase()] = signBody(config.hmacSecret, t, body);
          if (config.timestampHeader) headers[config.timestampHeader.toLowerCase()] = String(t);
        }
        return { url: config.url, method: config.method, headers, body };
      },
      {
        provider: 'http',
        fetch: fetchFn,
        sleep,
        logger: log,
        timeoutMs: config.timeoutMs,
        retries: config.retries,
        retryDelayMs: config.retryDelayMs,
        secrets: [...secrets, ...(config.hmacSecret ? [config.hmacSecret] : [])],
      },
    );
    let id: string | undefined;
    try {
      id = pickField(JSON.parse(reply.text), config.messageIdField);
    } catch {
      id = undefined;
    }
    log.info({ channel, status: reply.status, providerMessageId: id ?? deliveryId }, 'gateway accepted message');
    return { providerMessageId: id ?? deliveryId };
  }

  return {
    type: 'http',
    sendSms(req: SmsRequest) {
      const values: Values = { to: req.to, message: req.body, code: req.code ?? '', mode: 'sms', locale: req.locale ?? defaultLocale };
      return send('sms', values, [req.body, ...(req.code ? [req.code] : [])]);
    },
    placeCall(req: CallRequest) {
      const locale = req.locale ?? defaultLocale;
      const script = voiceScript(locale, productName);
      if (req.mode === 'read-code') {
        const message = `${script.codeIntro(req.code)} ${script.repeat(req.code)}`;
        return send('voice', { to: req.to, code: req.code, message, mode: req.mode, locale }, [req.code, message]);
      }
      return send('voice', { to: req.to, message: script.pressPound, mode: req.mode, callbackUrl: req.callbackUrl, locale }, []);
    },
  };
}
