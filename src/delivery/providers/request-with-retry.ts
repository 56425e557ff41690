/**
 * One HTTP call to a gateway, tried again when the failure is plausibly transient. Shared by
 * the http and twilio providers so both fail the same way: a `DELIVERY_FAILED` whose detail
 * names the provider, the tries and the last status, with every secret scrubbed out.
 */
import type { Logger } from 'pino';
import { FactorgateError } from '../../kit/errors.js';
import type { FetchFn, SleepFn } from './types.js';

export interface PreparedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface RetryOptions {
  provider: string;
  fetch: FetchFn;
  sleep: SleepFn;
  logger: Logger;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  /** Strings that must never reach a log line or an error detail (code, message, tokens). */
  secrets: readonly string[];
}

export interface GatewayReply {
  status: number;
  text: string;
}

/** Longest retry wait a gateway's Retry-After may impose; beyond it the user is better off with another method. */
const MAX_RETRY_AFTER_MS = 10_000;

/**
 * 408 and 429 are client errors that say "try later" (RFC 9110 §15.5.9, RFC 6585 §4); every
 * other 4xx means our request is wrong and sending it again would only repeat the refusal.
 */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 3) out = out.split(s).join('[redacted]');
  }
  return out;
}

function snippet(text: string, secrets: readonly string[]): string {
  const oneLine = scrub(text, secrets).replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  return Number.isFinite(secs) && secs >= 0 ? Math.min(secs * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * Sends `prepare(attempt)` until a 2xx, a non-retryable status, or `retries` further tries are
 * spent. `prepare` runs per try so a signature carries a fresh timestamp. Each try has its own
 * deadline (AbortController), covering the reply body too: a gateway that accepts the
 * connection and never answers costs `timeoutMs`, not forever.
 */
export async function requestWithRetry(
  prepare: (attempt: number) => PreparedRequest,
  opts: RetryOptions,
  describeError: (reply: GatewayReply) => string = (r) => snippet(r.text, opts.secrets),
): Promise<GatewayReply> {
  const tries = opts.retries + 1;
  let lastProblem = 'no attempt made';
  for (let attempt = 1; attempt <= tries; attempt++) {
    const req = prepare(attempt);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
    let waitMs = opts.retryDelayMs * 2 ** (attempt - 1);
    try {
      const res = await opts.fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
        redirect: 'error',
      });
      const text = await res.text();
      if (res.ok) return { status: res.status, text };
      lastProblem = `HTTP ${res.status} ${snippet(describeError({ status: res.status, text }), opts.secrets)}`.trim();
      if (!isRetryableStatus(res.status)) {
        throw new FactorgateError('DELIVERY_FAILED', {
          detail: `${opts.provider}: refused: ${lastProblem} (try ${attempt}/${tries}, not retried)`,
        });
      }
      waitMs = Math.max(waitMs, retryAfterMs(res.headers.get('retry-after')) ?? 0);
    } catch (err) {
      if (err instanceof FactorgateError) throw err;
      lastProblem = controller.signal.aborted
        ? `no reply within ${opts.timeoutMs} ms`
        : `network error: ${networkReason(err)}`;
    } finally {
      clearTimeout(timer);
    }
    if (attempt < tries) {
      opts.logger.warn(
        { provider: opts.provider, attempt, tries, problem: scrub(lastProblem, opts.secrets), retryInMs: waitMs },
        'delivery gateway failed, retrying',
      );
      await opts.sleep(waitMs);
    }
  }
  throw new FactorgateError('DELIVERY_FAILED', {
    detail: `${opts.provider}: unavailable: ${scrub(lastProblem, opts.secrets)} (after ${tries} tries)`,
  });
}

function networkReason(err: unknown): string {
  // fetch (undici) wraps the socket error: the useful code is on `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
