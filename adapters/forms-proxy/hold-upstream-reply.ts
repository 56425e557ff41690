/**
 * Sends the already-read login request to the app, reads its reply and applies the success
 * rule. A failed login goes back to the browser untouched (streamed); a successful one is
 * captured whole and handed back to be held until the second factor is done.
 *
 * Whenever the decision is in doubt the reply is held, never released: a reply that sets the
 * app's session cookie is held whatever the other rules say, and a body that cannot be
 * decoded counts as not containing the failure text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { FactorgateError } from '../../src/sdk/adapter.js';
import type { SuccessRule } from './config.js';
import { isCookieDeletion, setCookieList, setCookieNameValue } from './header-hygiene.js';
import { headerPairs, type HeldReply } from './held-login.js';
import type { PassThrough } from './proxy.js';

export interface ReplyHead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Whether the reply sets the app's session cookie to a live value. */
export function setsSessionCookie(rule: SuccessRule, head: ReplyHead, nowMs: number): boolean {
  if (!rule.setCookie) return false;
  return setCookieList(head.headers['set-cookie']).some((c) => setCookieNameValue(c).name === rule.setCookie && !isCookieDeletion(c, nowMs));
}

/** The rules that need only the status line and headers. */
export function headRuleHolds(rule: SuccessRule, head: ReplyHead, nowMs: number): boolean {
  if (rule.status && !rule.status.includes(head.status)) return false;
  if (rule.locationPattern !== undefined) {
    const loc = head.headers.location;
    if (typeof loc !== 'string' || !new RegExp(rule.locationPattern).test(loc)) return false;
  }
  if (rule.setCookie && !setsSessionCookie(rule, head, nowMs)) return false;
  return true;
}

const MAX_INFLATED = 8 * 1024 * 1024;

function decodedText(body: Buffer, encoding: string | string[] | undefined): string | null {
  const enc = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? 'identity')).trim().toLowerCase();
  try {
    if (enc === '' || enc === 'identity') return body.toString('utf8');
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, { maxOutputLength: MAX_INFLATED }).toString('utf8');
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength: MAX_INFLATED }).toString('utf8');
    if (enc === 'br') return brotliDecompressSync(body, { maxOutputLength: MAX_INFLATED }).toString('utf8');
  } catch {
    return null;
  }
  return null;
}

/** The whole rule, body included; an undecodable body never "contains" the failure text. */
export function successRuleHolds(rule: SuccessRule, head: ReplyHead, body: Buffer, nowMs: number): boolean {
  if (setsSessionCookie(rule, head, nowMs)) return true;
  if (!headRuleHolds(rule, head, nowMs)) return false;
  if (rule.bodyMustNotContain !== undefined) {
    const text = decodedText(body, head.headers['content-encoding']);
    if (text !== null && text.includes(rule.bodyMustNotContain)) return false;
  }
  return true;
}

/** Reads a whole reply from the app, refusing more than `maxBytes` (502: it cannot be held). */
export async function readReply(reply: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of reply) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        reply.destroy();
        throw new FactorgateError('UPSTREAM_UNAVAILABLE', { detail: `login reply larger than ${maxBytes} bytes cannot be held` });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (cause) {
    if (cause instanceof FactorgateError) throw cause;
    throw new FactorgateError('UPSTREAM_UNAVAILABLE', { cause, detail: `app cut its login reply short: ${(cause as Error).message}` });
  }
  if (!reply.complete) throw new FactorgateError('UPSTREAM_UNAVAILABLE', { detail: 'app cut its login reply short' });
  return Buffer.concat(chunks, total);
}

/** Sends a buffered request to the app; an unreachable app is UPSTREAM_UNAVAILABLE (502). */
export async function fetchFromApp(pass: PassThrough, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<IncomingMessage> {
  try {
    return await pass.fetch(req, res, body);
  } catch (cause) {
    throw new FactorgateError('UPSTREAM_UNAVAILABLE', { cause, detail: `app unreachable: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}` });
  }
}

export type LoginReplyDecision = { kind: 'passed'; status: number } | { kind: 'held'; reply: HeldReply };

/**
 * Sends the login to the app; a failure reply is written to `res` as is, a success reply is
 * returned (and nothing is written).
 */
export async function holdUpstreamReply(
  pass: PassThrough,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  options: { rule: SuccessRule; maxHeldReplyBytes: number; nowMs: number },
): Promise<LoginReplyDecision> {
  const reply = await fetchFromApp(pass, req, res, body);
  const head: ReplyHead = { status: reply.statusCode ?? 502, headers: reply.headers };
  const { rule, nowMs } = options;
  if (!setsSessionCookie(rule, head, nowMs) && !headRuleHolds(rule, head, nowMs)) {
    res.writeHead(head.status, reply.statusMessage ?? '', headerPairs(reply.headers).flat());
    reply.pipe(res);
    return { kind: 'passed', status: head.status };
  }
  const buffered = await readReply(reply, options.maxHeldReplyBytes);
  if (!successRuleHolds(rule, head, buffered, nowMs)) {
    res.writeHead(head.status, reply.statusMessage ?? '', headerPairs(reply.headers).flat());
    res.end(buffered);
    return { kind: 'passed', status: head.status };
  }
  return { kind: 'held', reply: { kind: 'reply', status: head.status, headers: headerPairs(reply.headers), bodyBase64: buffered.toString('base64') } };
}
