/**
 * Single logout, front channel (SAML Profiles §4.4): node-saml SPs on both sides. The first RP's
 * LogoutRequest ends the host session; the second RP of the session is told with our signed
 * LogoutRequest and answers; the first gets our signed LogoutResponse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { authnRequestPath, nodeSamlSp, postedForm, rpConfig, signIn, spAccepts, spIdentity, startIdp, type IdpHost } from './support.js';

const one = spIdentity('slo-one');
const two = spIdentity('slo-two');
const quiet = spIdentity('slo-quiet');
let idp: IdpHost;

beforeAll(async () => {
  idp = await startIdp({ relyingParties: [rpConfig(one), rpConfig(two), rpConfig(quiet, { slo: undefined })] });
});
afterAll(async () => {
  await idp.close();
});

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function queryOf(url: string): { query: Record<string, string>; raw: string } {
  const u = new URL(url);
  return { query: Object.fromEntries(u.searchParams), raw: u.search.slice(1) };
}

async function signedInToBoth(b: TestBrowser) {
  const spOne = nodeSamlSp(idp, one.name, { signed: true });
  const spTwo = nodeSamlSp(idp, two.name, { signed: true });
  const spQuiet = nodeSamlSp(idp, quiet.name);
  const { form } = await signIn(idp, b, await authnRequestPath(spOne));
  const { profile } = await spAccepts(spOne, form);
  const second = postedForm(await (await b.get(await authnRequestPath(spTwo))).text());
  await spAccepts(spTwo, second);
  await spAccepts(spQuiet, postedForm(await (await b.get(await authnRequestPath(spQuiet))).text()));
  return { spOne, spTwo, profile: profile! };
}

describe('single logout', () => {
  it('an RP’s LogoutRequest ends the session, the other RP is told, and the initiator gets a LogoutResponse', async () => {
    const b = new TestBrowser(idp.url);
    const { spOne, spTwo, profile } = await signedInToBoth(b);
    const logoutUrl = await spOne.saml.getLogoutUrlAsync(profile, 'after-logout', {});
    const r1 = await b.get(pathOf(logoutUrl));
    expect(r1.status).toBe(303);
    const toTwo = r1.headers.get('location')!;
    expect(toTwo.startsWith(`${two.slo}?SAMLRequest=`)).toBe(true);
    // The session is gone already: signing in anywhere asks for the password again.
    expect(await (await b.get('/login')).text()).toContain('name="password"');

    const { query, raw } = queryOf(toTwo);
    const told = await spTwo.saml.validateRedirectAsync(query, raw);
    expect(told.loggedOut).toBe(true);
    expect(told.profile?.nameID).toBe('alice');
    const answer = await spTwo.saml.getLogoutResponseUrlAsync(told.profile!, '', {}, true);
    const r2 = await b.get(pathOf(answer));
    expect(r2.status).toBe(303);
    const back = r2.headers.get('location')!;
    expect(back.startsWith(`${one.slo}?SAMLResponse=`)).toBe(true);
    const final = queryOf(back);
    expect(final.query.RelayState).toBe('after-logout');
    const done = await spOne.saml.validateRedirectAsync(final.query, final.raw);
    expect(done.loggedOut).toBe(true);
    const audit = await idp.auditRows();
    expect(audit.some((r) => r.event === 'saml-logout' && r.result === 'success' && r.relying_party === 'slo-one')).toBe(true);
  });

  it('refuses an unsigned LogoutRequest from an RP with a certificate, and a replayed one', async () => {
    const b = new TestBrowser(idp.url);
    const { profile } = await signedInToBoth(b);
    const unsignedSp = nodeSamlSp(idp, one.name);
    const unsigned = await b.get(pathOf(await unsignedSp.saml.getLogoutUrlAsync(profile, '', {})));
    expect(unsigned.status).toBe(400);
    expect(await unsigned.text()).toContain('must sign its requests');
    expect(await (await b.get('/login')).text()).toContain('You are signed in');

    const signedUrl = pathOf(await nodeSamlSp(idp, one.name, { signed: true }).saml.getLogoutUrlAsync(profile, '', {}));
    expect((await b.get(signedUrl)).status).toBe(303);
    const replay = await new TestBrowser(idp.url).get(signedUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
  });

  it('a LogoutResponse nobody asked for is refused', async () => {
    const spTwo = nodeSamlSp(idp, two.name, { signed: true });
    const url = await spTwo.saml.getLogoutResponseUrlAsync({ issuer: idp.entityId, nameID: 'alice', nameIDFormat: 'x', ID: '_forged', inResponseTo: '_forged' } as never, '', {}, true);
    const res = await new TestBrowser(idp.url).get(pathOf(url));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/no logout is in progress/);
  });
});
