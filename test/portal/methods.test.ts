/**
 * `/portal/methods` (issue 19) against a real host: a user adds a second authenticator app
 * (confirmed by a code), makes it the default, signs in with each, renames and removes one,
 * and cannot remove the last one while a second factor is required. Every change needs a second
 * factor under five minutes old (injected clock) and the CSRF token, and is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { DEFAULT_USERS, startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage, type Page } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
beforeAll(async () => {
  h = await startHost({ clock, users: [...DEFAULT_USERS, { username: 'dave', password: 'dave-password-1' }, { username: 'erin', password: 'erin-password-1' }] });
});
afterAll(async () => {
  await h.close();
});

const secretOf = (body: string) => {
  const s = decodeBase32(secretOnPage(body));
  if (!s.ok) throw new Error('no secret on the page');
  return s.bytes;
};
/** A code for the next time step: a step already accepted is refused (RFC 6238 §5.2). */
const nextCode = (secret: Buffer) => {
  clock.advance(30_000);
  return generateTotp(secret, clock.now());
};

async function password(b: Browser, username: string): Promise<string> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password: `${username}-password-1` });
  const path = r.headers.get('location');
  if (!path?.startsWith('/mfa/')) throw new Error(`password step answered ${r.status} ${path}`);
  return path;
}

/** Signs in with the app whose secret is given, choosing its method when it is not the default. */
async function signInWith(username: string, secret: Buffer, methodId?: string): Promise<{ b: Browser; r: Page }> {
  const b = new Browser(h.url);
  const path = await password(b, username);
  let page = await b.get(path);
  if (methodId && field(page.body, 'method') !== methodId) {
    await b.post(path, { _csrf: field(page.body, '_csrf'), method: methodId });
    page = await b.get(path);
  }
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: nextCode(secret) });
  return { b, r };
}

const enrolled = new Map<string, Buffer>();
/** A fresh, fully signed-in session: the first sign-in enrols an app on the challenge page. */
async function firstSignIn(username: string): Promise<{ b: Browser; secret: Buffer }> {
  const b = new Browser(h.url);
  const path = await password(b, username);
  const page = await b.get(path);
  const secret = page.body.includes('totp-secret') ? secretOf(page.body) : enrolled.get(username)!;
  enrolled.set(username, secret);
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: nextCode(secret) });
  expect(r.headers.get('location')).toBe('/login');
  return { b, secret };
}

const factorsOf = async (username: string) => {
  const db = h.host.api.store.db;
  const u = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return db.selectFrom('factors').selectAll().where('user_id', '=', u.id).where('kind', '=', 'totp').orderBy('created_at').execute();
};

async function change(b: Browser, form: Record<string, string>): Promise<Page> {
  const page = await b.get('/portal/methods');
  return b.post('/portal/methods', { _csrf: field(page.body, '_csrf'), ...form });
}

async function addApp(b: Browser, label: string): Promise<{ secret: Buffer; id: string; confirm: Page }> {
  const page = await b.get('/portal/methods');
  const start = await b.post('/portal/methods/add', { _csrf: field(page.body, '_csrf') });
  expect(start.status).toBe(303);
  const path = start.headers.get('location')!;
  expect(path).toMatch(/^\/portal\/methods\/confirm\/[0-9a-f-]{36}$/);
  const form = await b.get(path);
  expect(form.body).toMatch(/href="otpauth:\/\/totp\//);
  expect(form.body).toContain('class="qr"');
  const secret = secretOf(form.body);
  const wrong = await b.post(path, { _csrf: field(form.body, '_csrf'), label, code: '000000' });
  expect(wrong.status).toBe(401);
  const confirm = await b.post(path, { _csrf: field(form.body, '_csrf'), label, code: nextCode(secret) });
  return { secret, id: path.split('/').pop()!, confirm };
}

const events = (event: string) =>
  h.host.api.store.db.selectFrom('audit_events').select(['result', 'deny_reason']).where('event', '=', event).orderBy('ts').orderBy(sql`rowid`).execute();

describe('/portal/methods', () => {
  it('sends a browser without a signed-in session to /login', async () => {
    const b = new Browser(h.url);
    expect((await b.get('/portal/methods')).headers.get('location')).toBe('/login');
    expect((await b.post('/portal/methods', {})).headers.get('location')).toBe('/login');
    expect((await b.post('/portal/methods/add', {})).headers.get('location')).toBe('/login');
  });

  it('adds a second app, switches the default, signs in with each, renames and removes, never the last', async () => {
    const { b, secret: first } = await firstSignIn('alice');
    const [a] = await factorsOf('alice');

    // The only method cannot go while a second factor is required.
    const last = await change(b, { action: 'remove', factorId: a!.id });
    expect(last.status).toBe(409);
    expect(last.body).toContain('This is your last sign-in method');
    expect(await factorsOf('alice')).toHaveLength(1);

    const { secret: second, id, confirm } = await addApp(b, 'work phone');
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('The authenticator app was added.');
    expect(confirm.body).toContain('work phone');
    const rows = await factorsOf('alice');
    expect(rows.map((r) => [r.label, r.is_default, r.confirmed])).toEqual([
      [null, 1, 1],
      ['work phone', 0, 1],
    ]);

    const def = await change(b, { action: 'default', factorId: id });
    expect(def.status).toBe(200);
    expect((await factorsOf('alice')).map((r) => r.is_default)).toEqual([0, 1]);

    // The default is offered first; the other one is still usable.
    const viaSecond = await signInWith('alice', second);
    expect(viaSecond.r.headers.get('location')).toBe('/login');
    const viaFirst = await signInWith('alice', first, a!.id);
    expect(viaFirst.r.headers.get('location')).toBe('/login');
    // The first app, used last, shows its use on the page.
    expect((await factorsOf('alice')).map((r) => r.last_used_at)).toEqual([clock.now(), expect.any(Number)]);
    const rowHtml = new RegExp(`<tr data-factor="${a!.id}">[\\s\\S]*?</tr>`).exec((await viaFirst.b.get('/portal/methods')).body)![0];
    expect(rowHtml).toMatch(/<td>Mar 1, 2026, [^<]* UTC<\/td><td>Mar 1, 2026, [^<]* UTC<\/td>/);

    const renamed = await change(viaFirst.b, { action: 'rename', factorId: a!.id, label: 'old phone' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toContain('old phone');
    expect((await change(viaFirst.b, { action: 'rename', factorId: a!.id, label: '' })).status).toBe(400);

    const removed = await change(viaFirst.b, { action: 'remove', factorId: a!.id });
    expect(removed.status).toBe(200);
    expect(await factorsOf('alice')).toHaveLength(1);
    expect((await change(viaFirst.b, { action: 'remove', factorId: id })).status).toBe(409);
    // The removed app no longer signs in.
    const gone = await signInWith('alice', first);
    expect(gone.r.status).toBe(401);

    expect((await events('method-add')).map((e) => e.result)).toEqual(['failure', 'success']);
    expect((await events('method-remove')).map((e) => [e.result, e.deny_reason])).toEqual([
      ['failure', 'LAST_METHOD'],
      ['success', null],
      ['failure', 'LAST_METHOD'],
    ]);
  });

  it('re-prompts for a second factor after five minutes, then returns to the form the user was on', async () => {
    const { b, secret } = await firstSignIn('dave');
    const [row] = await factorsOf('dave');
    const page = await b.get('/portal/methods');
    clock.advance(5 * 60_000 + 1_000);
    // The stale change is not made: a challenge round of the same engine is begun instead.
    const r = await b.post('/portal/methods', { _csrf: field(page.body, '_csrf'), action: 'rename', factorId: row!.id, label: 'stale' });
    expect(r.status).toBe(303);
    const challenge = r.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    expect((await factorsOf('dave')).map((f) => f.label)).toEqual([null]);
    expect((await events('method-rename')).at(-1)).toMatchObject({ result: 'denied', deny_reason: 'REAUTH_REQUIRED' });
    // Adding is held back the same way.
    const add = await b.post('/portal/methods/add', { _csrf: field(page.body, '_csrf') });
    expect(add.headers.get('location')).toMatch(/^\/mfa\//);
    expect(await factorsOf('dave')).toHaveLength(1);

    // A wrong code keeps the user on the challenge; the right one sends them back to the portal page.
    const ask = await b.get(challenge);
    expect(ask.status).toBe(200);
    expect((await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: '000000' })).status).toBe(401);
    const back = await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: nextCode(secret) });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/portal/methods');
    // A fresh session: the same change now goes through.
    const again = await b.get('/portal/methods');
    const done = await b.post('/portal/methods', { _csrf: field(again.body, '_csrf'), action: 'rename', factorId: row!.id, label: 'fresh' });
    expect(done.status).toBe(200);
    expect((await factorsOf('dave')).map((f) => f.label)).toEqual(['fresh']);
    // The challenge is spent: replaying its code page does not re-open the round.
    expect((await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: nextCode(secret) })).status).toBe(409);
  });

  it('re-prompts on the confirmation form and comes back to it, the pending app intact', async () => {
    const { b, secret } = await firstSignIn('erin');
    const page = await b.get('/portal/methods');
    const start = await b.post('/portal/methods/add', { _csrf: field(page.body, '_csrf') });
    const confirmPath = start.headers.get('location')!;
    const form = await b.get(confirmPath);
    const added = secretOf(form.body);
    clock.advance(5 * 60_000 + 1_000);
    const r = await b.post(confirmPath, { _csrf: field(form.body, '_csrf'), label: 'late', code: nextCode(added) });
    const challenge = r.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\//);
    const ask = await b.get(challenge);
    const back = await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: nextCode(secret) });
    expect(back.headers.get('location')).toBe(confirmPath);
    const form2 = await b.get(confirmPath);
    expect(secretOf(form2.body)).toEqual(added);
    expect((await b.post(confirmPath, { _csrf: field(form2.body, '_csrf'), label: 'late', code: nextCode(added) })).status).toBe(200);
    expect((await factorsOf('erin')).filter((f) => f.confirmed === 1).map((f) => f.label)).toContain('late');
  });

  it('refuses every form without the CSRF token', async () => {
    const { b } = await firstSignIn('bob');
    const [row] = await factorsOf('bob');
    for (const action of ['default', 'rename', 'remove']) {
      expect((await b.post('/portal/methods', { action, factorId: row!.id, label: 'x' })).status).toBe(403);
    }
    expect((await b.post('/portal/methods/add', {})).status).toBe(403);
    const page = await b.get('/portal/methods');
    const start = await b.post('/portal/methods/add', { _csrf: field(page.body, '_csrf') });
    expect((await b.post(start.headers.get('location')!, { code: '123456' })).status).toBe(403);
    expect(await factorsOf('bob')).toHaveLength(2);
    expect((await factorsOf('bob')).filter((f) => f.confirmed === 1)).toHaveLength(1);
  });

  it('shows the page in French', async () => {
    const { b } = await firstSignIn('bob');
    b.acceptLanguage = 'fr';
    const page = await b.get('/portal/methods');
    expect(page.body).toContain('Vos méthodes de connexion');
    expect(page.body).toContain('Ajouter une application d’authentification');
  });
});
