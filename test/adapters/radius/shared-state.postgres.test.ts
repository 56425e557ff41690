/**
 * Behind a RADIUS load balancer: the Access-Challenge is issued by one host and its answer
 * reaches another. State lives in the store (PostgreSQL here, as in a multi-host deployment),
 * so the second host finishes the challenge the first began, exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateTotp } from '../../../src/otp/index.js';
import { makeTempDir } from '../../support/host-harness.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { enrolTotp, radclient, revealedCodes, startRadiusHost, USERS, type RadiusHost } from './support.js';

const TOTP = Buffer.from('12345678901234567890');
const MA = { 'Message-Authenticator': '0x00' };

let pg: TestPostgres;
let a: RadiusHost;
let b: RadiusHost;
const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));

beforeAll(async () => {
  pg = await startPostgres();
  const dir = makeTempDir();
  const config = { store: { driver: 'postgres', url: pg.url, poolSize: 4 }, challenge: { enrolmentPolicy: 'deny' } };
  a = await startRadiusHost({ users: USERS, dir, clock, config });
  b = await startRadiusHost({ users: USERS, dir, clock, config });
  await enrolTotp(a, 'dave', TOTP);
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await pg?.stop();
});

describe('RADIUS State shared by two hosts on one PostgreSQL store', () => {
  it('a challenge begun on one host is finished on the other, and its State works once', async () => {
    expect(a.port).not.toBe(b.port);
    const first = await radclient(a.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', ...MA });
    expect(first.code).toBe('Access-Challenge');
    const code = generateTotp(TOTP, clock.now());
    const [onB, onA] = await Promise.all([
      radclient(b.port, { 'User-Name': 'dave', 'User-Password': code, State: first.attributes.State!, ...MA }),
      radclient(a.port, { 'User-Name': 'dave', 'User-Password': code, State: first.attributes.State!, ...MA }),
    ]);
    expect([onB.code, onA.code].sort()).toEqual(['Access-Accept', 'Access-Reject']);
  });

  it('an SMS code sent for a challenge begun on the second host is accepted on the first', async () => {
    const first = await radclient(b.port, { 'User-Name': 'erin', 'User-Password': 'erin-password-1', ...MA });
    expect(first.code).toBe('Access-Challenge');
    const [code] = revealedCodes(b);
    const second = await radclient(a.port, { 'User-Name': 'erin', 'User-Password': code!, State: first.attributes.State!, ...MA });
    expect(second.code).toBe('Access-Accept');
  });
});
