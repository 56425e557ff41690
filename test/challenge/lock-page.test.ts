/**
 * Issue 26 item 6: a locked user is told so, until when (local time with its UTC offset) and
 * what to do — but only after a right password; a wrong one gets the answer every wrong
 * password gets. Through the real host (`createHost`, `/login`, the challenge page).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field } from './harness.js';
import { deniedPage } from '../../src/kit/pages/denied-page.js';

let running: RunningHost[] = [];
afterEach(async () => {
  for (const h of running) await h.close();
  running = [];
});

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

async function lockedHost(config: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  const h = await startHost({ clock, config });
  running.push(h);
  // alice signs in once (so she exists in the store), then reaches the lockout limit.
  const b = new Browser(h.url);
  await signIn(b, 'alice', 'alice-password-1');
  await h.host.api.store.db.updateTable('users').set({ failed_attempts: 5, locked_until: T0 + 15 * 60_000 }).where('username', '=', 'alice').execute();
  return { h, clock };
}

async function signIn(b: Browser, username: string, password: string) {
  const form = await b.get('/login');
  return b.post('/login', { _csrf: field(form.body, '_csrf'), username, password });
}

function text(body: string): string {
  return body.replace(/<style>[\s\S]*<\/style>/, '').replace(/<[^>]+>/g, '');
}

describe('the lock page', () => {
  it('after the right password: locked for the second step, until when in the configured zone, and the help desk', async () => {
    const { h } = await lockedHost({ branding: { timeZone: 'Europe/Paris', helpdesk: { text: 'Call the service desk on 4242.', url: 'tel:+33 1 23 45 42 42' } } });
    const b = new Browser(h.url);
    const r = await signIn(b, 'alice', 'alice-password-1');
    expect(r.status).toBe(303);
    const page = await b.get(r.headers.get('location')!);
    expect(page.status).toBe(403);
    expect(page.body).toContain('<title>Two-step verification is locked');
    // 09:15 UTC is 10:15 in Paris in March (UTC+01:00); the exact instant is in datetime.
    expect(page.body).toContain('<time datetime="2026-03-01T09:15:00.000Z">1 March 2026 at 10:15 (Europe/Paris, UTC+01:00)</time>');
    expect(text(page.body)).toContain('the second step of sign-in is locked for your account until 1 March 2026 at 10:15 (Europe/Paris, UTC+01:00).');
    expect(page.body).toContain('<a href="tel:+33 1 23 45 42 42">Call the service desk on 4242.</a>');
    expect(page.body).not.toContain('name="code"');

    const audit = await h.host.api.store.db.selectFrom('audit_events').selectAll().where('deny_reason', '=', 'LOCKED').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ event: 'challenge', result: 'denied', username: 'alice' });
  });

  it('in French, with the default help-desk text and a summer offset', async () => {
    const { h } = await lockedHost({ branding: { timeZone: 'America/New_York' } });
    await h.host.api.store.db.updateTable('users').set({ locked_until: Date.UTC(2026, 6, 14, 16, 5) }).where('username', '=', 'alice').execute();
    const b = new Browser(h.url);
    b.acceptLanguage = 'fr-FR,fr;q=0.9';
    const r = await signIn(b, 'alice', 'alice-password-1');
    const page = await b.get(r.headers.get('location')!);
    expect(page.status).toBe(403);
    expect(page.body).toContain('<html lang="fr">');
    expect(text(page.body)).toContain('verrouillée pour votre compte jusqu’au 14 juillet 2026 à 12:05 (America/New_York, UTC-04:00).');
    expect(text(page.body)).toContain('Contactez votre support informatique.');
  });

  it('shows UTC as such when the zone is UTC', async () => {
    const { h } = await lockedHost({ branding: { timeZone: 'UTC' } });
    const b = new Browser(h.url);
    const page = await b.get((await signIn(b, 'alice', 'alice-password-1')).headers.get('location')!);
    expect(page.body).toContain('>1 March 2026 at 09:15 (UTC)</time>');
    expect(text(page.body)).toContain('Need help? Contact your help desk.');
  });

  it('answers a wrong password for a locked user exactly as for any wrong password', async () => {
    const { h } = await lockedHost();
    const b = new Browser(h.url);
    const locked = await signIn(b, 'alice', 'wrong-password');
    const unlocked = await signIn(new Browser(h.url), 'bob', 'wrong-password');
    const nobody = await signIn(new Browser(h.url), 'nobody-at-all', 'wrong-password');
    for (const r of [locked, unlocked, nobody]) {
      expect(r.status).toBe(401);
      expect(r.body).toContain('The username or password is incorrect.');
      expect(r.body).not.toMatch(/locked|verrouill|<time/);
    }
    // The same page, apart from the echoed username and the per-request CSRF token.
    const normalise = (body: string, name: string) => body.replace(/name="_csrf" value="[^"]+"/, '').replace(`value="${name}"`, 'value=""');
    expect(normalise(locked.body, 'alice')).toBe(normalise(unlocked.body, 'bob'));
    expect(normalise(locked.body, 'alice')).toBe(normalise(nobody.body, 'nobody-at-all'));
  });

});

describe('deniedPage', () => {
  const opts = { helpdesk: {}, timeZone: 'UTC', now: T0 };
  it('says the lock has ended when it ran out before the page was drawn, without a time', () => {
    const page = deniedPage('en', { reason: 'LOCKED', lockedUntil: T0 - 1 }, opts);
    expect(page.body.value).toContain('The lock has just ended.');
    expect(page.body.value).not.toContain('<time');
  });

  it('keeps the neutral message for every other reason', () => {
    for (const reason of ['EXPIRED', 'USER_DISABLED', 'NO_FACTOR', 'DENIED']) {
      const page = deniedPage('fr', { reason }, opts);
      expect(page.status).toBe(401);
      expect(page.body.value).toContain('La connexion n’a pas pu aboutir.');
      expect(page.body.value).not.toMatch(/verrouill|groupe/);
    }
  });

  it('never lets the help-desk text inject markup', () => {
    const page = deniedPage('en', { reason: 'NOT_IN_MFA_GROUP' }, { ...opts, helpdesk: { text: '<script>x</script>', url: 'https://help.example/?a=1&b="2"' } });
    expect(page.body.value).toContain('<a href="https://help.example/?a=1&amp;b=&quot;2&quot;">&lt;script&gt;x&lt;/script&gt;</a>');
  });
});
