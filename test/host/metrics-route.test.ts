/**
 * GET /metrics on running hosts: route labels come only from matched route templates (so
 * unauthenticated requests cannot create series), the challenge and delivery counters follow a
 * real sign-in through the pages, and `metrics.bearerToken` protects the endpoint.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { UNMATCHED } from '../../src/kit/metrics.js';
import { makeTempDir, startHost, type RunningHost } from '../support/host-harness.js';
import { accepting, Browser, codeOf, httpProvider, pressSend, signIn, startRecorder, submitCode } from '../factors/support/delivered.js';
import { startIdp } from '../adapters/saml-idp/support.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function scrape(h: Pick<RunningHost, 'url'>, headers: Record<string, string> = {}): Promise<string> {
  const r = await fetch(`${h.url}/metrics`, { headers });
  expect(r.status).toBe(200);
  return r.text();
}

/** The value of one series, e.g. value(text, 'factorgate_lockouts_total'), or 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function routeLabels(text: string): Set<string> {
  return new Set([...text.matchAll(/^factorgate_http_request_duration_seconds_count\{route="([^"]*)"/gm)].map((m) => m[1]!));
}

describe('metrics route label', () => {
  it('is the matched route template, also inside an adapter and when it answers an error; any other path is unmatched', async () => {
    const h = await startIdp({ relyingParties: [] });
    cleanup.push(() => h.close());
    await fetch(`${h.url}/login`);
    await fetch(`${h.url}/mfa/${randomBytes(32).toString('base64url')}`);
    await fetch(`${h.url}/saml/idp/metadata`);
    // No SAMLRequest: the adapter passes an error on, still labelled with its route.
    expect((await fetch(`${h.url}/saml/idp/sso`)).status).toBe(400);
    const randomPaths = Array.from({ length: 20 }, () => `/${randomBytes(6).toString('hex')}/${randomBytes(6).toString('hex')}`);
    for (const p of randomPaths) expect((await fetch(`${h.url}${p}`)).status).toBe(404);
    await fetch(`${h.url}/saml/idp/${randomBytes(6).toString('hex')}`);

    const text = await scrape(h);
    const labels = routeLabels(text);
    expect(labels).toContain('/login');
    expect(labels).toContain('/mfa/:id');
    expect(labels).toContain('/saml/idp/metadata');
    expect(labels).toContain('/saml/idp/sso');
    expect(labels).toContain(UNMATCHED);
    expect(text).toMatch(/factorgate_http_request_duration_seconds_count\{route="\/saml\/idp\/sso",status="4xx"\} 1/);
    expect(value(text, 'factorgate_http_request_duration_seconds_count{route="unmatched",status="4xx"}')).toBe(21);
    for (const p of randomPaths) expect(text).not.toContain(p.split('/')[1]!);
    // Every label is a template the app declares: nothing taken from the request.
    for (const l of labels) expect(l === UNMATCHED || /^\/[A-Za-z0-9/:_.-]*$/.test(l), l).toBe(true);
  });
});

describe('challenge and delivery counters', () => {
  it('count attempts by method and reason, code deliveries by channel, a lockout, denials and time to verify', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const rec = await startRecorder(accepting());
    cleanup.push(() => rec.close());
    const h = await startHost({ clock, config: { factors: { sms: {} }, delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms') } } });
    cleanup.push(() => h.close());

    // alice: a code by SMS, one wrong answer, then the right one 40 s after the challenge began.
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const code = codeOf(rec.requests[0]!);
    expect((await submitCode(b, path, code === '000000' ? '111111' : '000000')).status).toBe(401);
    clock.advance(40_000);
    expect((await submitCode(b, path, code)).status).toBe(303);

    let text = await scrape(h);
    expect(value(text, 'factorgate_code_deliveries_total{channel="sms",result="sent",reason=""}')).toBe(1);
    expect(value(text, 'factorgate_challenge_attempts_total{method="sms",result="failure",reason="MISMATCH"}')).toBe(1);
    expect(value(text, 'factorgate_challenge_attempts_total{method="sms",result="success",reason=""}')).toBe(1);
    expect(value(text, 'factorgate_challenge_time_to_verify_seconds_count')).toBe(1);
    expect(value(text, 'factorgate_challenge_time_to_verify_seconds_bucket{le="30"}')).toBe(0);
    expect(value(text, 'factorgate_challenge_time_to_verify_seconds_bucket{le="60"}')).toBe(1);
    expect(value(text, 'factorgate_lockouts_total')).toBe(0);

    // A new challenge sends a new code; five wrong answers lock the account (default maxFailures 5).
    const b2 = new Browser(h.url);
    const p2 = await signIn(b2);
    await pressSend(b2, p2);
    const good = codeOf(rec.requests[1]!);
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await submitCode(b2, p2, good === '000000' ? '111111' : '000000')).status;
    expect(last).toBeGreaterThanOrEqual(400);
    text = await scrape(h);
    expect(value(text, 'factorgate_lockouts_total')).toBe(1);
    expect(value(text, 'factorgate_challenge_denials_total{reason="LOCKED"}')).toBe(1);
    expect(value(text, 'factorgate_code_deliveries_total{channel="sms",result="sent",reason=""}')).toBe(2);
    expect(value(text, 'factorgate_challenge_time_to_verify_seconds_count')).toBe(1);
  });

  it('count a refused send by its reason', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const rec = await startRecorder(() => ({ status: 400, body: '{"error":"bad number"}' }));
    cleanup.push(() => rec.close());
    const h = await startHost({ clock, config: { factors: { sms: {} }, delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms') } } });
    cleanup.push(() => h.close());
    const b = new Browser(h.url);
    await pressSend(b, await signIn(b));
    const text = await scrape(h);
    expect(value(text, 'factorgate_code_deliveries_total{channel="sms",result="failed",reason="DELIVERY_FAILED"}')).toBe(1);
  });
});

describe('metrics.bearerTokenFile', () => {
  it('refuses a scrape without the token or with a wrong one (401, a log line without the token), serves it with the token', async () => {
    const dir = makeTempDir('fg-metrics-');
    const token = randomBytes(24).toString('base64url');
    writeFileSync(join(dir, 'metrics.token'), `${token}\n`);
    const h = await startHost({ config: { metrics: { bearerTokenFile: join(dir, 'metrics.token') } } });
    cleanup.push(() => h.close());

    const none = await fetch(`${h.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.text()).not.toContain('factorgate_');
    const wrong = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } })).status).toBe(401);

    const text = await scrape(h, { authorization: `Bearer ${token}` });
    expect(text).toContain('factorgate_http_request_duration_seconds');
    const logs = h.logs.join('\n');
    expect(logs).toContain('metrics scrape refused');
    expect(logs).toContain('wrong bearer token');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.slice(0, -1));
  });

  it('a token too short is a configuration error naming the key', async () => {
    await expect(startHost({ config: { metrics: { bearerToken: 'short' } } })).rejects.toThrow(/metrics\.bearerToken/);
  });
});
