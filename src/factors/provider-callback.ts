/**
 * What a gateway's request to us carries and how it is proven: the press # callback of a call
 * and the reply to a text. Twilio signs with `X-Twilio-Signature` (HMAC-SHA1 over the public URL
 * it called and the sorted parameters, keyed with the auth token); the http provider with the
 * same `t=<unix>,v1=<HMAC-SHA256 over "<t>.<body>">` header factorgate signs its own requests
 * with, the timestamp bounding replays.
 */
import type { Request } from 'express';
import { codesEqual, signBody, verifyTwilioSignature, type ProviderConfig } from '../delivery/index.js';

/** A signed timestamp older or newer than this is a replay or a broken clock. */
const MAX_SKEW_SECONDS = 300;

/** The string fields of the body, read as raw text: a form (Twilio) or a JSON object (http). */
export function readCallbackParams(req: Request): Record<string, string> {
  const body = typeof req.body === 'string' ? req.body : '';
  if ((req.get('content-type') ?? '').includes('json')) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === 'object') {
        return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      }
    } catch {
      return {};
    }
    return {};
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * Whether the request carries the provider's signature. An http provider without `hmacSecret`
 * accepts it unsigned (the voice callback's unguessable token is then the only proof; SMS
 * replies require the secret in the configuration). A console provider sends nothing, so
 * nothing may call back.
 */
export function providerSignatureValid(cfg: ProviderConfig, publicUrl: string, req: Request, params: Record<string, string>, nowMs: number): boolean {
  if (cfg.type === 'twilio') {
    // Twilio signs the URL it called: ours, as published, not the one seen behind a proxy.
    return verifyTwilioSignature({ authToken: cfg.authToken, url: `${publicUrl}${req.originalUrl}`, params, signature: req.get('x-twilio-signature') });
  }
  if (cfg.type === 'http') {
    if (!cfg.hmacSecret) return true;
    const header = req.get(cfg.signatureHeader) ?? '';
    const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
    if (!m) return false;
    const ts = Number(m[1]);
    if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_SECONDS) return false;
    return codesEqual(signBody(cfg.hmacSecret, ts, typeof req.body === 'string' ? req.body : ''), header);
  }
  return false;
}
