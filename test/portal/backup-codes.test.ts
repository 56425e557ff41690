/**
 * Backup codes (issue 19) against a real host: a user makes a set at `/portal/backup-codes`,
 * signs in with one through "Use a backup code" on the challenge page, cannot use it twice,
 * sees the count go down, and a new set stops the old one working. Also: CSRF, the five-minute
 * re-authentication (injected clock), hashes only in the store, the audit, no code in the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let totp: Buffer;
beforeAll(async () => {
  h = await startHost({ clock });
});
afterAll(async () => {
  await h.close();
});

async function password(b: Browser, username = 'alice', pw = 'alice-password-1'): Promise<string> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password: pw });
  const path = r.headers.get('location');
  if (!path?.startsWith('/mfa/')) throw new Error(`password step answered ${r.status} ${path}`);
  return path;
}

/** Password + TOTP (enrolling on first sight); a browser with a fresh, fully signed-in session. */
async function signedIn(): Promise<Browser> {
  const b = new Browser(h.url);
  const path = await password(b);
  const page = await b.get(path);
  if (page.body.includes('totp-secret')) {
    const s = decodeBase32(secretOnPage(page.body));
    if (!s.ok) throw new Error('no secret on the page');
    totp = s.bytes;
  }
  clock.advance(30_000); // a new TOTP step each time: a reused one would be refused
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(totp, clock.now()) });
  if (r.headers.get('location') !== '/login') throw new Error(`second step answered ${r.status}`);
  return b;
}

/** Password, then "Use a backup code" and the code; the final response. */
async function withBackupCode(code: string) {
  const b = new Browser(h.url);
  const path = await password(b);
  const page = await b.get(path);
  const link = /name="method" value="([^"]+)"><button type="submit" class="link">Use a backup code</.exec(page.body);
  if (!link) throw new Error('no "Use a backup code" on the challenge page');
  await b.post(path, { _csrf: field(page.body, '_csrf'), method: link[1]! });
  const switched = await b.get(path);
  expect(switched.body).toContain('Enter one of your backup codes');
  return b.post(path, { _csrf: field(switched.body, '_csrf'), method: link[1]!, code });
}

async function makeSet(b: Browser): Promise<string[]> {
  const page = await b.get('/portal/backup-codes');
  const r = await b.post('/portal/backup-codes', { _csrf: field(page.body, '_csrf') });
  expect(r.status).toBe(200);
  expect(r.headers.get('cache-control')).toBe('no-store');
  const codes = [...r.body.matchAll(/<li><code>(\d{5} \d{5})<\/code><\/li>/g)].map((m) => m[1]!);
  // The same codes as a text file to save.
  const file = /download="backup-codes.txt" href="data:text\/plain;charset=utf-8,([^"]*)"/.exec(r.body);
  expect(decodeURIComponent(file![1]!.replace(/&#x2F;|&#47;/g, '/')).split('\n').filter((l) => /^\d{5} \d{5}$/.test(l))).toEqual(codes);
  return codes;
}

const events = (event: string) =>
  h.host.api.store.db.selectFrom('audit_events').select(['result', 'deny_reason', 'detail', 'method']).where('event', '=', event).orderBy('ts').orderBy(sql`rowid`).execute();

describe('/portal/backup-codes', () => {
  it('sends a browser without a signed-in session to /login', async () => {
    const b = new Browser(h.url);
    expect((await b.get('/portal/backup-codes')).headers.get('location')).toBe('/login');
    expect((await b.post('/portal/backup-codes', {})).headers.get('location')).toBe('/login');
  });

  it('makes ten codes shown once, stores only their hashes, signs in once with each, and counts down', async () => {
    const b = await signedIn();
    const empty = await b.get('/portal/backup-codes');
    expect(empty.body).toContain('You have no backup codes yet.');

    const codes = await makeSet(b);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const again = await b.get('/portal/backup-codes');
    expect(again.body).not.toContain(codes[0]!);
    expect(again.body).toContain('10 of your backup codes are left.');

    const rows = await h.host.api.store.db.selectFrom('backup_codes').selectAll().execute();
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(row.code_hash).toMatch(/^\$argon2id\$v=19\$/);
    const stored = JSON.stringify(rows);
    for (const c of codes) expect(stored).not.toContain(c.replace(' ', ''));

    const ok = await withBackupCode(codes[3]!);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/login');

    // The same code a second time: the one neutral refusal, and no session.
    const reused = await withBackupCode(codes[3]!.replace(' ', ''));
    expect(reused.status).toBe(401);
    expect(reused.body).toContain('role="alert"');

    expect((await b.get('/portal/backup-codes')).body).toContain('9 of your backup codes are left.');
    expect((await b.get('/portal')).body).toMatch(/Backup codes<\/a> · <small>9 left/);
    const used = await events('backup-code-used');
    expect(used).toEqual([{ result: 'info', deny_reason: null, detail: '9 left', method: 'backup-code' }]);
    expect((await events('backup-codes-issue')).map((e) => e.result)).toEqual(['success']);
    const logs = h.logs.join('\n');
    for (const c of codes) {
      expect(logs).not.toContain(c);
      expect(logs).not.toContain(c.replace(' ', ''));
    }
  });

  it('stops the old set working once a new one is made', async () => {
    const b = await signedIn();
    const old = await makeSet(b);
    const fresh = await makeSet(b);
    expect((await withBackupCode(old[0]!)).status).toBe(401);
    expect((await withBackupCode(fresh[0]!)).status).toBe(303);
  });

  it('refuses a new set without the CSRF token, and keeps the old one', async () => {
    const b = await signedIn();
    const codes = await makeSet(b);
    const before = await h.host.api.store.db.selectFrom('backup_codes').select('code_hash').execute();
    const r = await b.post('/portal/backup-codes', {});
    expect(r.status).toBe(403);
    const forged = await b.post('/portal/backup-codes', { _csrf: 'forged-token' });
    expect(forged.status).toBe(403);
    expect(await h.host.api.store.db.selectFrom('backup_codes').select('code_hash').execute()).toEqual(before);
    expect((await withBackupCode(codes[1]!)).status).toBe(303);
  });

  it('re-prompts for a second factor when the last one is more than five minutes old', async () => {
    const b = await signedIn();
    const codes = await makeSet(b);
    clock.advance(5 * 60_000 + 1_000);
    const page = await b.get('/portal/backup-codes');
    expect(page.status).toBe(200);
    const r = await b.post('/portal/backup-codes', { _csrf: field(page.body, '_csrf') });
    expect(r.status).toBe(303);
    const challenge = r.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\//);
    expect((await events('backup-codes-issue')).at(-1)).toMatchObject({ result: 'denied', deny_reason: 'REAUTH_REQUIRED' });
    // Nothing changed: the set made before still works.
    expect((await withBackupCode(codes[2]!)).status).toBe(303);
    // The round ends back on this page; a new set can then be made.
    const ask = await b.get(challenge);
    clock.advance(30_000);
    const back = await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: generateTotp(totp, clock.now()) });
    expect(back.headers.get('location')).toBe('/portal/backup-codes');
    const again = await b.get('/portal/backup-codes');
    const issued = await b.post('/portal/backup-codes', { _csrf: field(again.body, '_csrf') });
    expect(issued.body).toMatch(/<li><code>/);
    expect((await events('backup-codes-issue')).at(-1)).toMatchObject({ result: 'success' });
  });

  it('offers "Utiliser un code de secours" in French', async () => {
    const b = new Browser(h.url);
    b.acceptLanguage = 'fr';
    const path = await password(b);
    expect((await b.get(path)).body).toContain('Utiliser un code de secours');
  });
});
