import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { Browser, addUser, enrol, field, secretOnPage, startHarness, type Harness } from './harness.js';

let hosts: Harness[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

async function host(opts: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(opts);
  hosts.push(h);
  return h;
}

describe('begin → page → resume', () => {
  it('begins a challenge with a 256-bit id, an encrypted continuation and a browser-binding cookie', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const r = await b.get('/test-app/start?user=ada&nonce=n-123');
    expect(r.status).toBe(303);
    const location = r.headers.get('location')!;
    expect(location).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    const binding = r.setCookies.find((c) => c.startsWith('fg_mfa='))!;
    expect(binding).toMatch(/HttpOnly/i);
    expect(binding).toMatch(/SameSite=Lax/i);
    expect(binding).not.toMatch(/Secure/i); // plain-HTTP localhost demo only

    const row = await h.store.db.selectFrom('challenges').selectAll().executeTakeFirstOrThrow();
    expect(`/mfa/${row.id}`).toBe(location);
    expect(Buffer.from(row.id, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(row.status).toBe('pending');
    expect(row.continuation_enc).toMatch(/^fg1\./);
    expect(row.continuation_enc).not.toContain('n-123');
    expect(row.browser_hash).not.toBe(b.cookies.get('fg_mfa'));
    expect(row.expires_at - row.created_at).toBe(300_000);
  });

  it('enrols a user with no method (QR code and secret on the page), then resumes the adapter once with the outcome', async () => {
    const h = await host();
    const user = await addUser(h, 'ada');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    const page = await b.get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('autocomplete="one-time-code"');
    expect(page.body).toContain('inputmode="numeric"');
    const secretText = secretOnPage(page.body);
    const secret = decodeBase32(secretText);
    expect(secret.ok && secret.bytes.length).toBe(20);

    const factor = await h.store.db.selectFrom('factors').selectAll().executeTakeFirstOrThrow();
    expect(factor.confirmed).toBe(0);
    expect(factor.secret_enc).toMatch(/^fg1\./);
    expect(factor.secret_enc).not.toContain(secretText);

    const code = generateTotp(secret.ok ? secret.bytes : Buffer.alloc(0), h.clock.now());
    b.cookies.set('fg_session', 'x'.repeat(43)); // a session from before the factor
    const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: factor.id, code });
    expect(done.status).toBe(200);
    expect(done.body).toContain('verified ada with totp');

    expect(h.record.outcomes).toHaveLength(1);
    const outcome = h.record.outcomes[0]!;
    expect(outcome).toMatchObject({ result: 'verified', methods: ['totp'], multiFactor: true, relyingParty: 'test-relying-party', user: { id: user.id } });
    expect(outcome.continuation).toEqual({ returnTo: '/app/home', nonce: null });

    // The session id is regenerated: a brand-new token, stored hashed.
    const session = b.cookies.get('fg_session')!;
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).not.toBe('x'.repeat(43));
    const sessionCookie = done.setCookies.filter((c) => c.startsWith('fg_session=')).at(-1)!;
    expect(sessionCookie).toMatch(/HttpOnly/i);
    expect(sessionCookie).toMatch(/SameSite=Lax/i);
    const sessions = await h.store.db.selectFrom('sessions').selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(JSON.parse(sessions[0]!.data)).toMatchObject({ methods: ['totp'], multiFactor: true });

    const confirmed = await h.store.db.selectFrom('factors').selectAll().executeTakeFirstOrThrow();
    expect(confirmed).toMatchObject({ confirmed: 1, is_default: 1 });
    const challenge = await h.store.db.selectFrom('challenges').selectAll().executeTakeFirstOrThrow();
    expect(challenge).toMatchObject({ status: 'resumed', methods_used: '["totp"]', attempts: 1 });

    const audit = await h.store.db.selectFrom('audit_events').selectAll().orderBy('ts').execute();
    expect(audit.map((a) => [a.event, a.result])).toEqual([
      ['second-factor', 'success'],
      ['enrolment', 'success'],
    ]);
    expect(audit[0]).toMatchObject({ method: 'totp', username: 'ada', given_name: 'Ada', surname: 'Lovelace', email: 'ada@example.test', adapter: 'test-app', relying_party: 'test-relying-party', device_token: factor.id, challenge_id: challenge.id });
    expect(audit[0]!.server_name).toBeTruthy();
    expect(audit[0]!.client_ip).toBeTruthy();
  });

  it('asks an enrolled user for a code (no QR code), and the next sign-in needs a fresh step', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    expect(page.body).not.toContain('<svg');
    expect(page.body).not.toContain('totp-secret');
    // A wrong code first (one of ten minutes ahead, outside the window): counted on the challenge.
    const wrong = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret, h.clock.now() + 600_000) });
    expect(h.record.outcomes).toHaveLength(1);
    const challengeId = path.split('/').at(-1)!;
    const attempts = async () => (await h.store.db.selectFrom('challenges').select(['attempts', 'status']).where('id', '=', challengeId).executeTakeFirstOrThrow());
    expect(await attempts()).toEqual({ attempts: 1, status: 'pending' });
    const r = await b.post(path, { _csrf: field(wrong.body, '_csrf'), method: field(wrong.body, 'method'), code: generateTotp(secret, h.clock.now()) });
    expect(r.status).toBe(200);
    expect(h.record.outcomes.map((o) => o.result)).toEqual(['verified', 'verified']);
    // The right code's attempt is counted by the UPDATE that decided the challenge.
    expect(await attempts()).toEqual({ attempts: 2, status: 'resumed' });
  });

  it('counts a right code that loses the race (the challenge decided between the check and the UPDATE), then refuses it', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    const challengeId = path.split('/').at(-1)!;
    // Test-only: when the right code clears the user's reserved failure (the statement just
    // before the deciding UPDATE), another request "decides" the challenge first.
    await sql`CREATE TRIGGER race_decides AFTER UPDATE OF failed_attempts ON users WHEN OLD.failed_attempts > 0 AND NEW.failed_attempts = 0
      BEGIN UPDATE challenges SET status = 'denied', deny_reason = 'EXPIRED' WHERE id = ${sql.lit(challengeId)} AND status = 'pending'; END`.execute(h.store.db);
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret, h.clock.now()) });
    expect(r.status).toBe(409);
    const row = await h.store.db.selectFrom('challenges').select(['attempts', 'status']).where('id', '=', challengeId).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 1, status: 'denied' });
  });
});
