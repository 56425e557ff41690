import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { FactorgateError } from '../../src/kit/errors.js';
import { smsProviderConfigSchema, type HttpProviderConfig } from '../../src/delivery/config.js';
import { createMessageProvider } from '../../src/delivery/providers/index.js';
import { captureLog } from './support/capture-log.js';
import { startRecorder, type Recorder, type Reply } from './support/recording-server.js';

const SECRET = 'webhook-secret-0123456789';
let recorder: Recorder | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

function httpConfig(url: string, extra: Record<string, unknown> = {}): HttpProviderConfig {
  return smsProviderConfigSchema.parse({
    type: 'http',
    url: `${url}/send`,
    bodyTemplate: '{"destination":"{{to}}","text":"{{message}}","otp":"{{code}}","kind":"{{mode}}"}',
    hmacSecret: SECRET,
    headers: { Authorization: 'Bearer gw-token' },
    ...extra,
  }) as HttpProviderConfig;
}

async function setup(reply: (i: number) => Reply, extra: Record<string, unknown> = {}) {
  recorder = await startRecorder((_, i) => reply(i));
  const log = captureLog();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const sleeps: number[] = [];
  const provider = createMessageProvider(httpConfig(recorder.url, extra), {
    logger: log.logger,
    clock,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { provider, log, clock, sleeps, requests: recorder.requests };
}

async function failure(p: Promise<unknown>): Promise<FactorgateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FactorgateError);
  expect((err as FactorgateError).code).toBe('DELIVERY_FAILED');
  return err as FactorgateError;
}

describe('http provider', () => {
  it('posts the templated JSON body with JSON-escaped values and the configured headers', async () => {
    const { provider, requests } = await setup(() => ({ status: 200, body: '{"id":"gw-42"}' }));
    const body = 'Code 123456 for "Zoë" \\ </script>\n@mfa.example.com #123456';
    const sent = await provider.sendSms({ to: '+33612345678', body, code: '123456' });

    expect(sent.providerMessageId).toBe('gw-42');
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/send');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['authorization']).toBe('Bearer gw-token');
    expect(req.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(req.body)).toEqual({ destination: '+33612345678', text: body, otp: '123456', kind: 'sms' });
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256, verifiable by the receiver', async () => {
    const { provider, requests, clock } = await setup(() => ({ status: 202, body: '{}' }), { timestampHeader: 'X-Factorgate-Timestamp' });
    await provider.sendSms({ to: '+33612345678', body: 'hello', code: '000111' });

    const req = requests[0]!;
    const header = String(req.headers['x-factorgate-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(m).not.toBeNull();
    const t = Number(m![1]);
    expect(t).toBe(Math.floor(clock.now() / 1000));
    expect(req.headers['x-factorgate-timestamp']).toBe(String(t));
    const expected = createHmac('sha256', SECRET).update(`${t}.${req.body}`).digest();
    expect(timingSafeEqual(expected, Buffer.from(m![2]!, 'hex'))).toBe(true);
    // A tampered body would not verify.
    const tampered = createHmac('sha256', SECRET).update(`${t}.${req.body.replace('hello', 'hellO')}`).digest();
    expect(timingSafeEqual(tampered, Buffer.from(m![2]!, 'hex'))).toBe(false);
  });

  it('retries after 503 with growing back-off and succeeds, keeping one idempotency key', async () => {
    const { provider, requests, sleeps, log } = await setup((i) =>
      i < 2 ? { status: 503, body: 'maintenance' } : { status: 200, body: '{"id":"ok-3"}' },
    );
    const sent = await provider.sendSms({ to: '+33612345678', body: 'x 654321', code: '654321' });
    expect(sent.providerMessageId).toBe('ok-3');
    expect(requests).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(new Set(requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(log.lines.filter((l) => l.msg === 'delivery gateway failed, retrying')).toHaveLength(2);
  });

  it('does not retry a 400 and reports the refusal without the code', async () => {
    const { provider, requests, sleeps, log } = await setup(() => ({
      status: 400,
      body: '{"error":"bad number","echo":"Your code is 987654"}',
    }));
    const err = await failure(provider.sendSms({ to: '+33612345678', body: 'Your code is 987654', code: '987654' }));
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err.detail).toContain('HTTP 400');
    expect(err.detail).toContain('not retried');
    expect(err.detail).toContain('[redacted]');
    expect(err.detail).not.toContain('987654');
    expect(log.text()).not.toContain('987654');
  });

  it('gives up after the configured retries on repeated 5xx', async () => {
    const { provider, requests } = await setup(() => ({ status: 502, body: 'bad gateway' }), { retries: 1 });
    const err = await failure(provider.sendSms({ to: '+33612345678', body: 'b', code: '111222' }));
    expect(requests).toHaveLength(2);
    expect(err.detail).toMatch(/http: unavailable: HTTP 502 .*after 2 tries/);
  });

  it('honours Retry-After on 429', async () => {
    const { provider, sleeps } = await setup((i) =>
      i === 0 ? { status: 429, body: '', headers: { 'retry-after': '3' } } : { status: 200, body: '{}' },
    );
    await provider.sendSms({ to: '+33612345678', body: 'b' });
    expect(sleeps).toEqual([3000]);
  });

  it('times out a gateway that never answers and fails with DELIVERY_FAILED', async () => {
    const { provider, requests } = await setup(() => 'hang', { timeoutMs: 150, retries: 1 });
    const started = Date.now();
    const err = await failure(provider.sendSms({ to: '+33612345678', body: 'b', code: '333444' }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(requests).toHaveLength(2);
    expect(err.detail).toContain('no reply within 150 ms');
  });

  it('retries a refused connection and says so', async () => {
    // A port nothing listens on: take one from a closed server.
    const closed = await startRecorder(() => ({ status: 200 }));
    const url = closed.url;
    await closed.close();
    const log = captureLog();
    const sleeps: number[] = [];
    const provider = createMessageProvider(httpConfig(url), { logger: log.logger, sleep: async (ms) => void sleeps.push(ms) });
    const err = await failure(provider.sendSms({ to: '+33612345678', body: 'b' }));
    expect(err.detail).toContain('ECONNREFUSED');
    expect(sleeps).toHaveLength(2);
  });

  it('places a read-code call with the spoken script and the code in the body', async () => {
    const { provider, requests } = await setup(() => ({ status: 200, body: '{"id":"call-1"}' }));
    await provider.placeCall({ to: '+12025550143', mode: 'read-code', code: '246810', locale: 'fr' });
    const body = JSON.parse(requests[0]!.body) as Record<string, string>;
    expect(body.kind).toBe('read-code');
    expect(body.otp).toBe('246810');
    expect(body.text).toContain('2, 4, 6, 8, 1, 0');
    expect(body.text).toMatch(/^Votre code factorgate/);
  });

  it('lets a configured header replace a default one whatever its case', async () => {
    const { provider, requests } = await setup(() => ({ status: 200, body: '{}' }), {
      headers: { 'Content-Type': 'application/vnd.gateway+json' },
    });
    await provider.sendSms({ to: '+33612345678', body: 'b' });
    expect(requests[0]!.headers['content-type']).toBe('application/vnd.gateway+json');
  });

  it('falls back to its own delivery id when the reply carries none', async () => {
    const { provider, requests } = await setup(() => ({ status: 204 }));
    const sent = await provider.sendSms({ to: '+33612345678', body: 'b' });
    expect(sent.providerMessageId).toBe(requests[0]!.headers['idempotency-key']);
  });
});

describe('http provider configuration', () => {
  const base = { type: 'http', url: 'https://gw.example/send' };

  it('refuses a placeholder outside a JSON string', () => {
    const r = smsProviderConfigSchema.safeParse({ ...base, bodyTemplate: '{"to":"{{to}}","n":{{code}}}' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('inside a string');
  });

  it('refuses an unknown placeholder', () => {
    const r = smsProviderConfigSchema.safeParse({ ...base, bodyTemplate: '{"to":"{{phone}}"}' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('unknown placeholder {{phone}}');
  });

  it('fills defaults', () => {
    const c = smsProviderConfigSchema.parse(base) as HttpProviderConfig;
    expect(c).toMatchObject({ method: 'POST', timeoutMs: 5000, retries: 2, signatureHeader: 'X-Factorgate-Signature' });
  });
});
