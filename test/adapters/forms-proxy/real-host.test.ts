/**
 * The forms proxy inside the real host: real challenge engine (TOTP enrolment and verification,
 * CSRF, browser binding, expiry), real error pages and audit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../../src/otp/index.js';
import { RawBrowser } from './support/raw-client.js';
import { passChallenge, startRealRig, type RealRig } from './support/real-rig.js';
import { hasAppCookie, postLogin } from './support/rig.js';

let rig: RealRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const asRig = (r: RealRig) => ({ app: r.app }) as Parameters<typeof postLogin>[1];

describe('forms-proxy in the real host', () => {
  it('holds the login, enrols and verifies TOTP on the challenge page, then releases the reply', async () => {
    rig = await startRealRig();
    const b = new RawBrowser();
    const held = await postLogin(b, asRig(rig));
    expect(held.status).toBe(303);
    expect(hasAppCookie(held)).toBe(false);
    const { resumed, secret } = await passChallenge(b, rig, held);
    expect(resumed.status).toBe(303);
    expect(String(resumed.headers.location)).toMatch(new RegExp(`^${rig.app}/\\.factorgate/release\\?t=`));
    const released = await b.follow(resumed, rig.app);
    expect(released.status).toBe(302);
    expect(hasAppCookie(released)).toBe(true);
    expect((await b.send(rig.app, { path: '/secret' })).body).toContain('payroll for alice');

    // A second sign-in (new browser) answers the challenge with the enrolled TOTP.
    rig.clock.advance(60_000);
    const b2 = new RawBrowser();
    const held2 = await postLogin(b2, asRig(rig));
    const second = await passChallenge(b2, rig, held2, { secret });
    const released2 = await b2.follow(second.resumed, rig.app);
    expect(hasAppCookie(released2)).toBe(true);
    // Once only.
    const replay = await b2.follow(second.resumed, rig.app);
    expect(replay.status).toBe(410);
    expect(hasAppCookie(replay)).toBe(false);

    const audit = await rig.running.host.api.store.db.selectFrom('audit_events').select(['event', 'result', 'adapter', 'relying_party']).where('adapter', '=', 'forms-proxy').execute();
    expect(audit.map((a) => `${a.event}:${a.result}`)).toEqual(expect.arrayContaining(['forms-proxy.login-held:info', 'forms-proxy.release:success', 'forms-proxy.release:denied']));
  });

  it('never releases when the challenge expired', async () => {
    rig = await startRealRig();
    const b = new RawBrowser();
    const held = await postLogin(b, asRig(rig));
    const r = rig;
    const { resumed } = await passChallenge(b, rig, held, { beforeAnswer: () => r.clock.advance(301_000) });
    expect(resumed.status).not.toBe(303);
    expect(resumed.headers.location ?? '').not.toContain('/.factorgate/release');
    expect(hasAppCookie(resumed)).toBe(false);
    const rows = await rig.running.host.api.store.db.selectFrom('forms_proxy_pending' as never).selectAll().execute() as unknown as { state: string; held_enc: string }[];
    expect(rows).toMatchObject([{ state: 'denied', held_enc: '' }]);
  });

  it('discards the held reply on a wrong code', async () => {
    rig = await startRealRig();
    const b = new RawBrowser();
    const held = await postLogin(b, asRig(rig));
    const r = rig;
    const { resumed } = await passChallenge(b, rig, held, { code: (s) => (generateTotp(s, r.clock.now()) === '000000' ? '111111' : '000000') });
    expect(resumed.status).toBe(401);
    expect(hasAppCookie(resumed)).toBe(false);
  });

  it('shows the host\'s 502 page when the app is down', async () => {
    rig = await startRealRig({}, { legacyDown: true });
    const page = await new RawBrowser().send(rig.app, { path: '/public/style.css' });
    expect(page.status).toBe(502);
    expect(page.body).toContain('is not answering');
    expect(rig.running.logs.some((l) => l.includes('upstream app unreachable'))).toBe(true);
  });
});
