/**
 * Sign-out (wsignout1.0 and wsignoutcleanup1.0 end the host session; the realms signed in to are
 * sent cleanup; wreply only to a registered reply URL) and the federation metadata (signed,
 * verified by xmlsec1 with the published certificate, valid against the WS-Federation 1.2
 * schema, publishing every certificate and the passive endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { pythonReads, signIn, signInPath, startWsFed, xmlsecVerifies, type WsFedHost } from './support.js';

const SP_REALM = 'urn:sharepoint:intranet';
const SP_REPLY = 'https://intranet.example.test/_trust/';
let h: WsFedHost;

beforeAll(async () => {
  h = await startWsFed({
    realms: [
      { name: 'Microsoft 365', preset: 'entra-id' },
      { name: 'Intranet', preset: 'sharepoint', realm: SP_REALM, replyUrls: [SP_REPLY] },
    ],
  });
});
afterAll(async () => {
  await h.close();
});

async function signedInBrowser(): Promise<TestBrowser> {
  const b = new TestBrowser(h.url);
  await signIn(h, b, signInPath({ wtrealm: 'urn:federation:MicrosoftOnline' }));
  const sp = await b.get(signInPath({ wtrealm: SP_REALM }));
  expect(sp.status).toBe(200);
  return b;
}

describe('WS-Federation sign-out', () => {
  it('wsignout1.0 ends the session and sends wsignoutcleanup1.0 to each realm signed in to', async () => {
    const b = await signedInBrowser();
    const res = await b.get('/wsfed?wa=wsignout1.0');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('You are signed out');
    expect(html).toContain('src="https://login.microsoftonline.com/login.srf?wa=wsignoutcleanup1.0"');
    expect(html).toContain(`src="${SP_REPLY}?wa=wsignoutcleanup1.0"`);
    expect(res.headers.get('content-security-policy')).toContain('frame-src https://login.microsoftonline.com https://intranet.example.test');
    // The session is gone: the next sign-in asks for a password again.
    const again = await b.get(signInPath({ wtrealm: SP_REALM }));
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/login\?l=/);
    const audit = await h.auditRows();
    expect(audit.some((r) => r.event === 'wsfed-signout' && r.username === 'alice' && (r.detail ?? '').includes('Microsoft 365, Intranet'))).toBe(true);
  });

  it('wsignout1.0 with a registered wreply offers the way back; a foreign wreply is refused and the session kept', async () => {
    const b = await signedInBrowser();
    const foreign = await b.get(`/wsfed?wa=wsignout1.0&wreply=${encodeURIComponent('https://evil.example/')}`);
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('location')).toBeNull();
    expect((await b.get(signInPath({ wtrealm: SP_REALM }))).status).toBe(200);
    const res = await b.get(`/wsfed?wa=wsignout1.0&wreply=${encodeURIComponent(SP_REPLY)}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<a id="continue" href="${SP_REPLY}">`);
    expect((await b.get(signInPath({ wtrealm: SP_REALM }))).status).toBe(303);
  });

  it('wsignoutcleanup1.0 ends the session, may be framed, and returns to a registered wreply', async () => {
    const b = await signedInBrowser();
    const res = await b.get(`/wsfed?wa=wsignoutcleanup1.0&wreply=${encodeURIComponent(SP_REPLY)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(SP_REPLY);
    expect((await b.get(signInPath({ wtrealm: SP_REALM }))).status).toBe(303);

    const c = await signedInBrowser();
    const framed = await c.get('/wsfed?wa=wsignoutcleanup1.0');
    expect(framed.status).toBe(200);
    expect(framed.headers.get('x-frame-options')).toBeNull();
    expect(framed.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect((await c.get(signInPath({ wtrealm: SP_REALM }))).status).toBe(303);
  });

  it('sign-out without a session answers the same page and records nothing', async () => {
    const before = (await h.auditRows()).filter((r) => r.event === 'wsfed-signout').length;
    const res = await new TestBrowser(h.url).get('/wsfed?wa=wsignout1.0');
    expect(res.status).toBe(200);
    expect((await h.auditRows()).filter((r) => r.event === 'wsfed-signout').length).toBe(before);
  });
});

describe('WS-Federation metadata', () => {
  it('is signed: xmlsec1 verifies it with the published certificate; one changed character fails', async () => {
    const res = await new TestBrowser(h.url).get('/FederationMetadata/2007-06/FederationMetadata.xml');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await res.text();
    expect(await xmlsecVerifies(h, xml, 'metadata')).toBe(true);
    expect(await xmlsecVerifies(h, xml.replace('/wsfed</wsa:Address>', '/wsfeD</wsa:Address>'), 'metadata')).toBe(false);
  });

  it('is valid WS-Federation 1.2 metadata naming the issuer, the passive endpoint, SAML 1.1 tokens and every published certificate', async () => {
    const xml = await (await new TestBrowser(h.url).get('/FederationMetadata/2007-06/FederationMetadata.xml')).text();
    const read = await pythonReads(h, 'metadata', xml);
    expect(read.schemas.wsFederation).toEqual({ valid: true, errors: [] });
    expect(read.entityId).toBe(h.entityId);
    expect(read.roleType).toBe('fed:SecurityTokenServiceType');
    expect(read.passiveEndpoints).toEqual([`${h.url}/wsfed`]);
    expect(read.tokenTypes).toEqual(['urn:oasis:names:tc:SAML:1.0:assertion']);
    expect(read.certificates).toEqual(h.host.api.keys.published.map((k) => k.certificateBase64));
    expect(read.signedFirst).toBe(true);
    // The same document at the adapter's own path.
    const alias = await (await new TestBrowser(h.url).get('/wsfed/metadata')).text();
    expect(alias).toBe(xml);
  });
});
