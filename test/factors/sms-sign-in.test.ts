/**
 * SMS codes through the host as `createHost` wires it: /login, then the challenge page's
 * "Send me a code", the http provider posting to a local recording gateway, the code read from
 * what the gateway received and typed back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { accepting, Browser, codeOf, httpProvider, pressSend, signIn, startRecorder, submitCode, type Recorder } from './support/delivered.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function smsHost(opts: { sms?: Record<string, unknown>; clock?: ManualClock; rec?: Recorder } = {}) {
  const rec = opts.rec ?? (await startRecorder(accepting()));
  if (!opts.rec) cleanup.push(() => rec.close());
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const h: RunningHost = await startHost({
    clock,
    config: { factors: { sms: { ...opts.sms } }, delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms') } },
  });
  cleanup.push(() => h.close());
  return { h, rec, clock, db: h.host.api.store.db };
}

describe('signing in with an SMS code', () => {
  it('sends a 6-digit code to the directory number in E.164 and accepts it once: fresh session, audited as sms', async () => {
    const { h, rec, db } = await smsHost();
    const b = new Browser(h.url);
    const path = await signIn(b);
    // SMS is alice's only method: there is nothing to choose, so the first sight of the page
    // sends (issue 26 item 7) and asks for the code; a reload does not send again.
    const page = await b.get(path);
    expect(page.body).toContain('+33 6 •• •• •• 78');
    expect(page.body).toContain('A code is on its way.');
    expect(page.body).toContain('<label for="code">Enter the code we sent</label>');
    expect(rec.requests).toHaveLength(1);
    const reload = await b.get(path);
    expect(reload.body).not.toContain('id="notice"');
    expect(reload.body).toContain('<label for="code">Enter the code we sent</label>');
    expect(rec.requests).toHaveLength(1);

    const sent = await pressSend(b, path, page);
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('A code is on its way.');
    expect(rec.requests).toHaveLength(1);
    const req = JSON.parse(rec.requests[0]!.body) as { to: string; code: string; message: string; mode: string };
    expect(req.to).toBe('+33612345678');
    expect(req.mode).toBe('sms');
    expect(req.code).toMatch(/^[0-9]{6}$/);
    expect(req.message).toContain(`${req.code} is your factorgate code`);
    expect(req.message).toContain(`@127.0.0.1 #${req.code}`);

    const before = b.cookies.get('fg_session');
    const done = await submitCode(b, path, req.code);
    expect(done.status).toBe(303);
    expect((await b.get('/login')).body).toContain('You are signed in as Alice Martin.');
    expect(b.cookies.get('fg_session')).not.toBe(before);
    const sessions = await db.selectFrom('sessions').selectAll().execute();
    expect(sessions.map((s) => JSON.parse(s.data) as { methods: string[] })).toMatchObject([{ methods: ['sms'], multiFactor: true }]);
    const audit = await db.selectFrom('audit_events').select(['event', 'result', 'method', 'deny_reason']).orderBy('ts').execute();
    expect(audit.filter((a) => a.event !== 'primary-auth' && a.event !== 'login')).toEqual(
      expect.arrayContaining([
        { event: 'code-delivery', result: 'success', method: 'sms', deny_reason: null },
        { event: 'second-factor', result: 'success', method: 'sms', deny_reason: null },
      ]),
    );

    // Stored hashed: the code appears nowhere in the database rows, nor in any log line.
    const stored = await db.selectFrom('delivered_codes').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(req.code);
    expect(stored[0]!.consumed_at).not.toBeNull();
    const logs = h.logs.join('\n');
    expect(logs).not.toContain(req.code);
    expect(logs).not.toContain('+33612345678');
    expect(logs).not.toContain('612345678');
  });

  it('refuses a wrong code with the one neutral message and MISMATCH in the audit, then accepts the right one', async () => {
    const { h, rec, db } = await smsHost();
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const code = codeOf(rec.requests[0]!);
    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await submitCode(b, path, wrong);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('That code could not be accepted. Check it and try again.');
    const failure = await db.selectFrom('audit_events').selectAll().where('event', '=', 'second-factor').where('result', '=', 'failure').executeTakeFirstOrThrow();
    expect(failure).toMatchObject({ method: 'sms', deny_reason: 'MISMATCH' });
    expect((await submitCode(b, path, code)).status).toBe(303);
  });

  it('refuses the same code a second time (one acceptance per code)', async () => {
    const { h, rec, db } = await smsHost();
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const code = codeOf(rec.requests[0]!);
    expect((await submitCode(b, path, code)).status).toBe(303);
    // The challenge is spent; the row itself also refuses a second use.
    const row = await db.selectFrom('delivered_codes').select(['consumed_at']).executeTakeFirstOrThrow();
    expect(row.consumed_at).not.toBeNull();
  });

  it('with the demo console provider, the code reaches the log only because revealCodes says so, and signs in', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const h = await startHost({ clock, config: { factors: { sms: {} }, delivery: { sms: { type: 'console', revealCodes: true } } } });
    cleanup.push(() => h.close());
    expect(h.logs.some((l) => l.includes('revealCodes on'))).toBe(true);
    const b = new Browser(h.url);
    const path = await signIn(b);
    await pressSend(b, path);
    const line = h.logs.map((l) => JSON.parse(l) as { demoRevealedCode?: string }).find((l) => l.demoRevealedCode);
    expect(line?.demoRevealedCode).toMatch(/^[0-9]{6}$/);
    expect((await submitCode(b, path, line!.demoRevealedCode!)).status).toBe(303);
  });
});
