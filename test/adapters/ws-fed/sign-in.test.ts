/**
 * Passive sign-in as Entra ID and SharePoint see it: the user arrives at /wsfed, signs in at
 * /login, enrols TOTP and answers the real challenge, and the page posts wa, wresult and wctx to
 * the realm's reply URL. The token is checked by xmlsec1 with the published certificate and by
 * the python/lxml reader against the published schemas; nothing here parses it with our code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { ALICE_IMMUTABLE_ID, claim, postedForm, pythonReads, signIn, signInPath, startWsFed, xmlsecVerifies, type WsFedHost } from './support.js';

const ENTRA_REPLY = 'https://login.microsoftonline.com/login.srf';
const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const SP_REALM = 'urn:sharepoint:intranet';
const SP_REPLY = 'https://intranet.example.test/_trust/';
const SP_OTHER_REPLY = 'https://intranet.example.test/_trust/other';
// What Entra ID sends looks like this; the quotes, markup, ampersands and non-ASCII must survive.
const WCTX = 'LoginOptions=3&estsredirect=2&estsrequest=rQIIAa2R"<b>x</b>\'&amp;é😀 +%2B';

let h: WsFedHost;

beforeAll(async () => {
  h = await startWsFed({
    realms: [
      { name: 'Microsoft 365', preset: 'entra-id' },
      { name: 'Intranet', preset: 'sharepoint', realm: SP_REALM, replyUrls: [SP_REPLY, SP_OTHER_REPLY] },
    ],
  });
});
afterAll(async () => {
  await h.close();
});

describe('WS-Federation passive sign-in', () => {
  it('signs a user in for Entra ID through /login and the TOTP challenge; xmlsec1 and the lxml reader accept the token', async () => {
    const b = new TestBrowser(h.url);
    const { form, visited } = await signIn(h, b, signInPath({ wtrealm: 'urn:federation:MicrosoftOnline', wctx: WCTX, username: 'alice@corp.example' }));
    expect(visited.some((v) => v.startsWith('/login?l='))).toBe(true);
    expect(visited.some((v) => v.startsWith('/mfa/'))).toBe(true);
    expect(form.action).toBe(ENTRA_REPLY);
    expect(Object.keys(form.fields).sort()).toEqual(['wa', 'wctx', 'wresult']);
    expect(form.fields.wa).toBe('wsignin1.0');
    expect(form.fields.wctx).toBe(WCTX);

    const wresult = form.fields.wresult!;
    expect(await xmlsecVerifies(h, wresult, 'assertion')).toBe(true);
    const read = await pythonReads(h, 'response', wresult);
    expect(read.problems).toEqual([]);
    for (const [name, verdict] of Object.entries(read.schemas)) expect(verdict, name).toEqual({ valid: true, errors: [] });
    expect(read.appliesTo).toBe('urn:federation:MicrosoftOnline');
    expect(read.tokenType).toBe('urn:oasis:names:tc:SAML:1.0:assertion');
    expect(read.assertion.majorVersion + '.' + read.assertion.minorVersion).toBe('1.1');
    expect(read.assertion.issuer).toBe(h.entityId);
    expect(read.assertion.audiences).toEqual(['urn:federation:MicrosoftOnline']);
    expect(read.assertion.nameIdentifier).toBe(ALICE_IMMUTABLE_ID);
    expect(read.assertion.nameIdentifierFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(read.assertion.confirmationMethod).toBe('urn:oasis:names:tc:SAML:1.0:cm:bearer');
    expect(read.assertion.authenticationMethod).toBe(MFA);
    expect(claim(read, 'http://schemas.xmlsoap.org/claims', 'UPN')).toEqual(['alice@corp.example']);
    expect(claim(read, 'http://schemas.microsoft.com/LiveID/Federation/2008/05', 'ImmutableID')).toEqual([ALICE_IMMUTABLE_ID]);
    expect(claim(read, 'http://schemas.microsoft.com/claims', 'authnmethodsreferences')).toEqual([MFA]);
    // The token is valid for its lifetime from now (the host's clock), not before the skew.
    expect(Date.parse(read.assertion.notOnOrAfter) - Date.parse(read.lifetime.created)).toBe(3_600_000);
    expect(Date.parse(read.lifetime.created) - Date.parse(read.assertion.notBefore)).toBe(30_000);

    const audit = await h.auditRows();
    expect(audit.some((r) => r.event === 'wsfed-response' && r.result === 'success' && r.relying_party === 'Microsoft 365' && r.username === 'alice')).toBe(true);
    // Neither the token nor the password reaches the log.
    const logs = h.logs.join('\n');
    expect(logs).not.toMatch(/alice-password-1|RequestSecurityTokenResponse|<saml:Assertion/);
  });

  it('a one-character change in the signed assertion fails xmlsec1', async () => {
    const b = new TestBrowser(h.url);
    const { form } = await signIn(h, b, signInPath({ wtrealm: 'urn:federation:MicrosoftOnline' }));
    const tampered = form.fields.wresult!.replace('alice@corp.example', 'alicf@corp.example');
    expect(tampered).not.toBe(form.fields.wresult);
    expect(await xmlsecVerifies(h, tampered, 'assertion')).toBe(false);
  });

  it('a second realm in the same session gets a token without a new challenge, to the wreply it named from its list', async () => {
    const b = new TestBrowser(h.url);
    await signIn(h, b, signInPath({ wtrealm: 'urn:federation:MicrosoftOnline' }));
    const res = await b.get(signInPath({ wtrealm: SP_REALM, wctx: 'sp-ctx', wreply: SP_OTHER_REPLY }));
    expect(res.status).toBe(200);
    const form = postedForm(await res.text());
    expect(form.action).toBe(SP_OTHER_REPLY);
    expect(form.fields.wctx).toBe('sp-ctx');
    const read = await pythonReads(h, 'response', form.fields.wresult!);
    expect(read.assertion.audiences).toEqual([SP_REALM]);
    expect(read.assertion.nameIdentifier).toBe('alice@corp.example');
    expect(claim(read, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims', 'emailaddress')).toEqual(['alice@example.test']);
    expect(await xmlsecVerifies(h, form.fields.wresult!, 'assertion')).toBe(true);
  });

  it('wfresh=0 asks for a new sign-in even with a session; a wfresh older than the sign-in does too', async () => {
    const b = new TestBrowser(h.url);
    await signIn(h, b, signInPath({ wtrealm: SP_REALM }));
    const forced = await b.get(signInPath({ wtrealm: SP_REALM, wfresh: '0' }));
    expect(forced.status).toBe(303);
    expect(forced.headers.get('location')).toMatch(/^\/login\?l=/);
    h.clock.advance(3 * 60_000);
    const stale = await b.get(signInPath({ wtrealm: SP_REALM, wfresh: '2' }));
    expect(stale.headers.get('location')).toMatch(/^\/login\?l=/);
    const fresh = await b.get(signInPath({ wtrealm: SP_REALM, wfresh: '10' }));
    expect(fresh.status).toBe(200);
  });

  it('the response page posts only to the reply URL origin and loads no inline script', async () => {
    const b = new TestBrowser(h.url);
    await signIn(h, b, signInPath({ wtrealm: SP_REALM }));
    const res = await b.get(signInPath({ wtrealm: SP_REALM }));
    expect(res.headers.get('content-security-policy')).toContain('form-action https://intranet.example.test');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).not.toMatch(/<script>(?!<)/);
  });
});
