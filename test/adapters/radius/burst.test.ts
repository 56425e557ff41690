/**
 * A burst of 1,000 Access-Requests from radclient on loopback, 200 at a time, against an
 * adapter bounded to 32 requests in flight: a password spray from one caller (wrong passwords
 * for 50 names). Regulation bans the caller after 20 failures and answers each refused try
 * after its delay, so requests really wait and pile up: the bound holds (the surplus is
 * dropped and comes back as radclient's retransmissions), every request is answered in the
 * end, and another caller signs in right after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrolTotp, radclient, radiusSection, run, SECRET, startRadiusHost, USERS, type RadiusHost } from './support.js';

let h: RadiusHost;

beforeAll(async () => {
  h = await startRadiusHost({
    users: USERS,
    config: { logging: { level: 'info' }, regulation: { refusalDelay: '200ms', client: { maxFailures: 20 } } },
    radius: radiusSection({}, { maxInFlight: 32 }),
  });
  await enrolTotp(h, 'dave', Buffer.from('12345678901234567890'));
}, 60_000);

afterAll(async () => {
  await h?.close().catch(() => undefined);
});

describe('a burst of 1,000 requests', () => {
  it('is answered in full with at most 32 in flight (the surplus dropped and retransmitted), and the server answers normally afterwards', async () => {
    const file = join(h.dir, 'burst.txt');
    const requests = Array.from({ length: 1000 }, (_, i) => `User-Name = "user${i % 50}"\nUser-Password = "spray-${randomBytes(4).toString('hex')}"\nCalling-Station-Id = "198.51.100.66"\nMessage-Authenticator = 0x00\n`);
    writeFileSync(file, requests.join('\n'));
    const out = await run('radclient', ['-s', '-q', '-p', '200', '-r', '40', '-t', '1', '-f', file, `127.0.0.1:${h.port}`, 'auth', SECRET], '');
    const summary = (label: string) => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`, 'i').exec(out)?.[1]);
    // radclient expects Access-Accept: each Access-Reject counts as "failed filter"; none lost.
    expect(summary('Failed filter'), out).toBe(1000);
    expect(summary('Lost'), out).toBe(0);
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', 'Calling-Station-Id': '203.0.113.5', 'Message-Authenticator': '0x00' });
    expect(ok.code).toBe('Access-Challenge');

    await h.close();
    const stopped = h.logs.find((l) => l.includes('RADIUS stopped'));
    const stats = (JSON.parse(stopped!) as { stats: { received: number; answered: number; inFlightPeak: number; dropped: number } }).stats;
    expect(stats.inFlightPeak).toBe(32);
    expect(stats.dropped).toBeGreaterThan(0);
    // Dropped requests came back: more datagrams than requests, 1,001 distinct answers at least.
    expect(stats.received).toBeGreaterThan(1001);
    expect(stats.answered).toBeGreaterThanOrEqual(1001);
  }, 180_000);
});
