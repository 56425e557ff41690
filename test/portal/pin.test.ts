/**
 * The self-service PIN page (`/portal/pin`) against a real host (`startHost`) in code + PIN SMS
 * mode: a user signs in fully (SMS code + PIN), changes the PIN, and the next sign-in takes the
 * new PIN and refuses the old one. Also: CSRF, weak PINs, the redirect when not signed in, and
 * no PIN in the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kit/clock.js';
import { hashPin } from '../../src/delivery/index.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { pinProblem } from '../../src/portal/pin-routes.js';
import { secretOnPage } from '../challenge/harness.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { accepting, Browser, codeOf, field, httpProvider, pressSend, signIn, startRecorder, submitCode, switchTo, type Recorder } from '../factors/support/delivered.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const OLD_PIN = '482913';
const NEW_PIN = '5096';

async function pinHost(seed = true): Promise<{ h: RunningHost; rec: Recorder }> {
  const rec = await startRecorder(accepting());
  cleanup.push(() => rec.close());
  const h = await startHost({
    clock: new ManualClock(T0),
    config: { challenge: { ttlSeconds: 900 }, factors: { sms: { pin: 'required', maxSendsPerUserPerHour: 50 } }, delivery: { defaultRegion: 'FR', sms: httpProvider(rec, '/sms') } },
  });
  cleanup.push(() => h.close());
  if (!seed) return { h, rec };
  // alice holds an initial PIN, as `users notify` would have given her.
  const b = new Browser(h.url);
  await signIn(b);
  const db = h.host.api.store.db;
  const alice = await db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
  await db.insertInto('user_pins').values({ user_id: alice.id, pin_hash: await hashPin(OLD_PIN, h.host.api.secrets, alice.id), created_at: T0, updated_at: T0 }).execute();
  return { h, rec };
}

/** `text` holds `pin` as a value of its own (not inside a request id, a UUID or a hash, which may carry any four digits). */
function holds(text: string, pin: string): boolean {
  return new RegExp(`(?<![\\w-])${pin}(?![\\w-])`).test(text);
}

/** Password, then SMS code + PIN; answers the final response. */
async function smsSignIn(h: RunningHost, rec: Recorder, pin: string) {
  const b = new Browser(h.url);
  const path = await signIn(b);
  await pressSend(b, path);
  const code = codeOf(rec.requests[rec.requests.length - 1]!);
  const r = await submitCode(b, path, code, { pin });
  return { b, r };
}

async function audit(h: RunningHost) {
  return h.host.api.store.db
    .selectFrom('audit_events')
    .select(['result', 'deny_reason', 'detail'])
    .where('event', '=', 'pin-change')
    .orderBy('ts').orderBy(sql`rowid`)
    .execute();
}

describe('the PIN rules', () => {
  it('takes 4 to 8 digits, refusing repeated digits and straight runs', () => {
    expect(pinProblem('5096')).toBeNull();
    expect(pinProblem('48291375')).toBeNull();
    expect(pinProblem('123')).toBe('FORMAT');
    expect(pinProblem('123456789')).toBe('FORMAT');
    expect(pinProblem('12a4')).toBe('FORMAT');
    for (const weak of ['0000', '7777777', '1234', '4321', '123456', '987654', '7890', '2109']) expect(pinProblem(weak)).toBe('TRIVIAL');
  });
});

describe('/portal/pin', () => {
  it('lets a fully signed-in user change the PIN: the next code + PIN sign-in takes the new one and refuses the old', async () => {
    const { h, rec } = await pinHost();
    const { b, r } = await smsSignIn(h, rec, OLD_PIN);
    expect(r.status).toBe(303);

    const page = await b.get('/portal/pin');
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="currentPin"');
    expect(page.body).toContain('name="pinConfirm"');

    // A wrong current PIN is refused and audited.
    const wrong = await b.post('/portal/pin', { _csrf: field(page.body, '_csrf'), currentPin: '000000', pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('The current PIN is incorrect.');

    const saved = await b.post('/portal/pin', { _csrf: field(page.body, '_csrf'), currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Your PIN is saved.');
    expect(await audit(h)).toEqual([
      { result: 'failure', deny_reason: 'CURRENT_PIN_MISMATCH', detail: null },
      { result: 'success', deny_reason: null, detail: 'changed' },
    ]);

    expect((await smsSignIn(h, rec, OLD_PIN)).r.status).toBe(401);
    expect((await smsSignIn(h, rec, NEW_PIN)).r.status).toBe(303);

    const stored = await h.host.api.store.db.selectFrom('user_pins').selectAll().execute();
    expect(holds(JSON.stringify(stored), NEW_PIN)).toBe(false);
    const logs = h.logs.join('\n');
    expect(holds(logs, NEW_PIN)).toBe(false);
    expect(holds(logs, OLD_PIN)).toBe(false);
    const rows = JSON.stringify(await h.host.api.store.db.selectFrom('audit_events').selectAll().execute());
    expect(holds(rows, NEW_PIN)).toBe(false);
    expect(holds(rows, OLD_PIN)).toBe(false);
  });

  it('counts wrong current PINs on regulation\'s counters (`p:` + the user id): a right one ends the run, the fifth wrong one sets a ban of regulation.banTime', async () => {
    const { h, rec } = await pinHost();
    const { b } = await smsSignIn(h, rec, OLD_PIN);
    const csrf = field((await b.get('/portal/pin')).body, '_csrf');
    const db = h.host.api.store.db;
    const alice = await db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    const counter = () => db.selectFrom('regulation_counters').select(['failures', 'banned_until']).where('key', '=', `p:${alice.id}`).executeTakeFirst();
    const post = (currentPin: string, pin = NEW_PIN) => b.post('/portal/pin', { _csrf: csrf, currentPin, pin, pinConfirm: pin });

    for (let i = 0; i < 4; i++) expect((await post(`00000${i}`)).status).toBe(401);
    expect(await counter()).toEqual({ failures: 4, banned_until: 0 });
    // The right one (with a refused new PIN) ends the run.
    expect((await post(OLD_PIN, '1111')).status).toBe(400);
    expect(await counter()).toEqual({ failures: 0, banned_until: 0 });
    for (let i = 0; i < 5; i++) expect((await post(`11111${i}`)).status).toBe(401);
    expect(Number((await counter())!.banned_until)).toBe(T0 + 5 * 60_000);
    expect((await post(OLD_PIN)).status).toBe(429);
  });

  it('refuses a post without the CSRF token, and weak or mismatched PINs, keeping the old PIN', async () => {
    const { h, rec } = await pinHost();
    const { b } = await smsSignIn(h, rec, OLD_PIN);
    const page = await b.get('/portal/pin');
    const csrf = field(page.body, '_csrf');

    const noCsrf = await b.post('/portal/pin', { currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(noCsrf.status).toBe(403);

    for (const weak of ['1111', '1234', '98765', '12', '123456789', 'abcd']) {
      const r = await b.post('/portal/pin', { _csrf: csrf, currentPin: OLD_PIN, pin: weak, pinConfirm: weak });
      expect(r.status, weak).toBe(400);
    }
    const differ = await b.post('/portal/pin', { _csrf: csrf, currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: '5097' });
    expect(differ.status).toBe(400);
    expect(differ.body).toContain('The two new PINs differ.');
    const fr = await b.post('/portal/pin?lang=fr', { _csrf: csrf, currentPin: OLD_PIN, pin: '2222', pinConfirm: '2222' });
    expect(fr.body).toContain('trop facile à deviner');

    expect((await audit(h)).map((a) => `${a.result}:${a.deny_reason}`)).toEqual([
      'failure:TRIVIAL',
      'failure:TRIVIAL',
      'failure:TRIVIAL',
      'failure:FORMAT',
      'failure:FORMAT',
      'failure:FORMAT',
      'failure:CONFIRM_MISMATCH',
      'failure:TRIVIAL',
    ]);
    // The old PIN still works.
    expect((await smsSignIn(h, rec, OLD_PIN)).r.status).toBe(303);
    expect(holds(h.logs.join('\n'), OLD_PIN)).toBe(false);
  });

  it('lets a user without a PIN (signed in with an authenticator app) set one, which brings the code + PIN method', async () => {
    const { h, rec } = await pinHost(false);
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    const secret = decodeBase32(secretOnPage(page.body));
    if (!secret.ok) throw new Error('bad secret');
    const clock = h.host.api.clock;
    const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    expect(done.status).toBe(303);

    const form = await b.get('/portal/pin?lang=fr');
    expect(form.status).toBe(200);
    expect(form.body).toContain('Nouveau code PIN');
    expect(form.body).not.toContain('name="currentPin"');
    const saved = await b.post('/portal/pin', { _csrf: field(form.body, '_csrf'), pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(saved.status).toBe(200);
    expect(await audit(h)).toEqual([{ result: 'success', deny_reason: null, detail: 'set' }]);

    // The next sign-in offers SMS with the PIN; the default method is still the app, so switch.
    const b2 = new Browser(h.url);
    const p2 = await signIn(b2);
    await switchTo(b2, p2, 'Text message');
    const r = await pressSend(b2, p2);
    expect(r.body).toContain('name="pin"');
    const code = codeOf(rec.requests[rec.requests.length - 1]!);
    expect((await submitCode(b2, p2, code, { pin: NEW_PIN })).status).toBe(303);
    expect(holds(h.logs.join('\n'), NEW_PIN)).toBe(false);
  });

  it('refuses even the right current PIN after 5 wrong ones (TOO_MANY_ATTEMPTS) until the ban ends', async () => {
    const { h, rec } = await pinHost();
    const { b } = await smsSignIn(h, rec, OLD_PIN);
    const csrf = field((await b.get('/portal/pin')).body, '_csrf');
    for (let i = 0; i < 5; i++) expect((await b.post('/portal/pin', { _csrf: csrf, currentPin: '000000', pin: NEW_PIN, pinConfirm: NEW_PIN })).status).toBe(401);
    const blocked = await b.post('/portal/pin', { _csrf: csrf, currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Too many wrong PINs.');
    (h.host.api.clock as ManualClock).advance(16 * 60_000);
    // 16 minutes on, the second factor is stale too: the change re-prompts, and after it the block is over.
    const stale = await b.post('/portal/pin', { _csrf: csrf, currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(stale.status).toBe(303);
    const challenge = stale.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\//);
    await pressSend(b, challenge);
    const back = await submitCode(b, challenge, codeOf(rec.requests[rec.requests.length - 1]!), { pin: OLD_PIN });
    expect(back.headers.get('location')).toBe('/portal/pin');
    const fresh = field((await b.get('/portal/pin')).body, '_csrf');
    expect((await b.post('/portal/pin', { _csrf: fresh, currentPin: OLD_PIN, pin: NEW_PIN, pinConfirm: NEW_PIN })).status).toBe(200);
  });

  it('sends a browser without a signed-in session to /login, for GET and POST, also after the password alone', async () => {
    const { h } = await pinHost();
    const anon = new Browser(h.url);
    const g = await anon.get('/portal/pin');
    expect(g.status).toBe(303);
    expect(g.headers.get('location')).toBe('/login');
    const p = await anon.post('/portal/pin', { pin: NEW_PIN, pinConfirm: NEW_PIN });
    expect(p.status).toBe(303);
    expect(p.headers.get('location')).toBe('/login');

    // Password done, second factor not: still not signed in.
    const half = new Browser(h.url);
    await signIn(half);
    expect((await half.get('/portal/pin')).headers.get('location')).toBe('/login');
    expect(await audit(h)).toEqual([]);
  });
});
