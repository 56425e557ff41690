/**
 * The RADIUS adapter with radclient (freeradius-utils) as the real client, against a real host
 * (file directory, SQLite, the console SMS provider): accept, reject, the Access-Challenge round
 * with TOTP and with an SMS code, the one-field form, app passwords, wrong secret, unknown
 * client, missing Message-Authenticator, and a retransmission answered from the cache.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateTotp } from '../../../src/otp/index.js';
import { AppPasswords } from '../../../src/users/app-passwords.js';
import { buildAccessRequest } from '../../../adapters/radius/wire/build-request.js';
import { enrolTotp, radclient, radiusSection, revealedCodes, sendRaw, SECRET, startRadiusHost, USERS, type RadiusHost } from './support.js';

const TOTP_SECRET = Buffer.from('12345678901234567890');
const MA = { 'Message-Authenticator': '0x00' };
/** A request expected to go unanswered: one try, a short wait. */
const DROPPED = { retries: 1, timeout: 2 };

let hosts: RadiusHost[] = [];
afterEach(async () => {
  for (const h of hosts) await h.close();
  hosts = [];
});

async function host(opts: Parameters<typeof startRadiusHost>[0] = {}): Promise<RadiusHost & { clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
  const h = await startRadiusHost({ users: USERS, clock, ...opts });
  hosts.push(h);
  return { ...h, clock };
}

async function audit(h: RadiusHost) {
  return h.host.api.store.db.selectFrom('audit_events').select(['event', 'result', 'method', 'deny_reason', 'adapter', 'client_ip', 'relying_party']).orderBy('ts').execute();
}

describe('RADIUS with radclient', () => {
  it('asks a TOTP user for the code with Access-Challenge and State, then accepts the code once', async () => {
    const h = await host();
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const first = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', 'Calling-Station-Id': '203.0.113.7', ...MA });
    expect(first.code).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toMatch(/code/i);
    expect(first.attributes.State).toMatch(/^0x[0-9a-f]{32}$/);
    expect(first.attributes['Message-Authenticator']).toMatch(/^0x[0-9a-f]{32}$/);

    const code = generateTotp(TOTP_SECRET, h.clock.now());
    const second = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': code, State: first.attributes.State!, ...MA });
    expect(second.code).toBe('Access-Accept');

    // The State is used once: the same round again is refused.
    const again = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': code, State: first.attributes.State!, ...MA });
    expect(again.code).toBe('Access-Reject');

    const rows = await audit(h);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'primary', result: 'success', adapter: 'radius', client_ip: '203.0.113.7', relying_party: 'vpn' }),
        expect.objectContaining({ event: 'second-factor', result: 'success', method: 'totp', adapter: 'radius', relying_party: 'vpn' }),
      ]),
    );
    expect(h.logs.join('\n')).not.toContain('dave-password-1');
    expect(h.logs.join('\n')).not.toContain(`"${code}"`);
  });

  it('asks again after a wrong code, counts it towards the lockout, and rejects a reused State', async () => {
    const h = await host();
    const dave = await enrolTotp(h, 'dave', TOTP_SECRET);
    const first = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', ...MA });
    const wrong = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': '000000', State: first.attributes.State!, ...MA });
    expect(wrong.code).toBe('Access-Challenge');
    expect(wrong.attributes['Reply-Message']).toContain('That code did not work.');
    expect(wrong.attributes.State).not.toBe(first.attributes.State);
    const row = await h.host.api.store.db.selectFrom('users').select('failed_attempts').where('id', '=', dave.id).executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(1);
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': generateTotp(TOTP_SECRET, h.clock.now()), State: wrong.attributes.State!, ...MA });
    expect(ok.code).toBe('Access-Accept');
  });

  it('locks the user after the configured failed codes, through the same engine as the page', async () => {
    const h = await host({ config: { challenge: { enrolmentPolicy: 'deny', lockout: { maxFailures: 2, lockMinutes: 15 } } } });
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const first = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', ...MA });
    const one = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': '000000', State: first.attributes.State!, ...MA });
    expect(one.code).toBe('Access-Challenge');
    const two = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': '000001', State: one.attributes.State!, ...MA });
    expect(two.code).toBe('Access-Reject');
    // Locked: even the right code in a new round is refused before it is looked at.
    const next = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': `dave-password-1,${generateTotp(TOTP_SECRET, h.clock.now())}`, ...MA });
    expect(next.code).toBe('Access-Reject');
    expect(await audit(h)).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'challenge', result: 'denied', deny_reason: 'LOCKED', adapter: 'radius' })]));
  });

  it('sends an SMS code when the challenge begins and accepts it in the next round', async () => {
    const h = await host();
    const first = await radclient(h.port, { 'User-Name': 'erin', 'User-Password': 'erin-password-1', ...MA });
    expect(first.code).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toContain('A code has been sent.');
    const [code] = revealedCodes(h);
    expect(code).toMatch(/^\d{6}$/);
    const second = await radclient(h.port, { 'User-Name': 'erin', 'User-Password': code!, State: first.attributes.State!, ...MA });
    expect(second.code).toBe('Access-Accept');
    expect(await audit(h)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'code-delivery', result: 'success', method: 'sms', adapter: 'radius' }),
        expect.objectContaining({ event: 'second-factor', result: 'success', method: 'sms', adapter: 'radius' }),
      ]),
    );
  });

  it('rejects a wrong password without a challenge, and a user with no method (enrolment needs a page)', async () => {
    const h = await host();
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const bad = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'not-the-password', ...MA });
    expect(bad.code).toBe('Access-Reject');
    expect(bad.attributes['Reply-Message']).toBe('Sign-in refused.');
    const none = await radclient(h.port, { 'User-Name': 'bob', 'User-Password': 'bob-password-1', ...MA });
    expect(none.code).toBe('Access-Reject');
    const rows = await audit(h);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'primary', result: 'failure', deny_reason: 'INVALID_CREDENTIALS', adapter: 'radius' }),
        expect.objectContaining({ event: 'challenge', result: 'denied', deny_reason: 'NO_FACTOR', adapter: 'radius' }),
      ]),
    );
  });

  it('takes password,code in one field (configurable separator) and accepts at once; a wrong code is rejected, never challenged', async () => {
    const h = await host({ radius: radiusSection({ separator: '|', attributes: [{ name: 'Class', value: 'vpn-users' }, { name: 'Session-Timeout', value: 3600 }] }) });
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const wrong = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1|000000', ...MA });
    expect(wrong.code).toBe('Access-Reject');
    const code = generateTotp(TOTP_SECRET, h.clock.now());
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': `dave-password-1|${code}`, ...MA });
    expect(ok.code).toBe('Access-Accept');
    expect(ok.attributes.Class).toBe('0x76706e2d7573657273');
    expect(ok.attributes['Session-Timeout']).toBe('3600');
    // RFC 6238 §5.2: the same code a second time is a replay.
    h.clock.advance(1000);
    const replay = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': `dave-password-1|${code}`, ...MA });
    expect(replay.code).toBe('Access-Reject');
  });

  it('accepts an app password made with the portal module, only where the client allows them', async () => {
    const h = await host({ radius: { listen: { host: '127.0.0.1', port: 0 }, clients: [{ name: 'vpn', addresses: ['127.0.0.1'], secret: SECRET, appPasswords: true, groupAttributes: [] }] } });
    const dave = await enrolTotp(h, 'dave', TOTP_SECRET);
    const { password } = await new AppPasswords(h.host.api.store.db).create(dave.id, 'vpn on my laptop', ['radius'], h.clock.now());
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': password, ...MA });
    expect(ok.code).toBe('Access-Accept');
    const other = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'abcd-efgh-jkmn-pqrs-tuvw', ...MA });
    expect(other.code).toBe('Access-Reject');
    expect(await audit(h)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'app-password', result: 'success', adapter: 'radius' }),
        expect.objectContaining({ event: 'app-password', result: 'failure', deny_reason: 'INVALID_CREDENTIALS' }),
      ]),
    );
    const forms = await new AppPasswords(h.host.api.store.db).create(dave.id, 'forms only', ['forms-proxy'], h.clock.now());
    expect((await radclient(h.port, { 'User-Name': 'dave', 'User-Password': forms.password, ...MA })).code).toBe('Access-Reject');
  });

  it('refuses app passwords from a client that does not allow them (the field is taken as a password)', async () => {
    const h = await host();
    const dave = await enrolTotp(h, 'dave', TOTP_SECRET);
    const { password } = await new AppPasswords(h.host.api.store.db).create(dave.id, 'vpn', ['radius'], h.clock.now());
    expect((await radclient(h.port, { 'User-Name': 'dave', 'User-Password': password, ...MA })).code).toBe('Access-Reject');
  });

  it('drops a request signed with the wrong shared secret, and logs it', async () => {
    const h = await host();
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const r = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', ...MA }, { secret: 'not-the-shared-secret-at-all', ...DROPPED });
    expect(r.code).toBe('none');
    expect(h.logs.some((l) => l.includes('MESSAGE_AUTHENTICATOR_INVALID'))).toBe(true);
  });

  it('drops a request from an unknown client, and logs it', async () => {
    const h = await host({ radius: radiusSection({ addresses: ['10.0.0.0/8', '2001:db8::/32'] }) });
    const r = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', ...MA }, DROPPED);
    expect(r.code).toBe('none');
    const line = h.logs.find((l) => l.includes('UNKNOWN_CLIENT'));
    expect(line).toContain('"from":"127.0.0.1:');
    expect(line).not.toContain('dave-password-1');
  });

  it('drops an Access-Request without Message-Authenticator by default (BlastRADIUS), and takes it where the client is configured so', async () => {
    const h = await host();
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const r = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1' }, DROPPED);
    expect(r.code).toBe('none');
    expect(h.logs.some((l) => l.includes('MESSAGE_AUTHENTICATOR_MISSING'))).toBe(true);

    const lax = await host({ radius: radiusSection({ requireMessageAuthenticator: false }) });
    await enrolTotp(lax, 'dave', TOTP_SECRET);
    expect((await radclient(lax.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1' })).code).toBe('Access-Challenge');
  });

  it('answers a retransmitted request from the cache, byte for byte, without processing it again', async () => {
    const h = await host();
    await enrolTotp(h, 'dave', TOTP_SECRET);
    const secret = Buffer.from(SECRET);
    const packet = buildAccessRequest({ identifier: 42, secret, userName: 'dave', password: `dave-password-1,${generateTotp(TOTP_SECRET, h.clock.now())}` });
    // One source port for both copies: a retransmission comes from the same socket.
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const replies: Buffer[] = [];
    const reply = () => new Promise<void>((resolve) => socket.once('message', (m) => (replies.push(m), resolve())));
    // The second copy goes once the first is answered (a copy arriving while the first is still
    // being processed is dropped: the first one's reply answers it).
    const first = reply();
    socket.send(packet, h.port, '127.0.0.1');
    await first;
    const second = reply();
    socket.send(packet, h.port, '127.0.0.1');
    await second;
    socket.close();
    expect(replies[0]![0]).toBe(2); // Access-Accept
    expect(replies[1]!.equals(replies[0]!)).toBe(true);
    const factorChecks = (await audit(h)).filter((a) => a.event === 'second-factor');
    expect(factorChecks).toHaveLength(1);

    // A new request (new authenticator) with the same code is processed: a replay, refused.
    const fresh = await sendRaw(h.port, buildAccessRequest({ identifier: 42, secret, userName: 'dave', password: `dave-password-1,${generateTotp(TOTP_SECRET, h.clock.now())}` }));
    expect(fresh?.[0]).toBe(3); // Access-Reject
  });
});
