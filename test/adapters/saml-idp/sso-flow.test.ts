/**
 * The whole sign-in as relying parties see it: node-saml sends an AuthnRequest, the user signs
 * in at /login, enrols TOTP and answers the real challenge, node-saml accepts our signed
 * Response. Then single sign-on for a second RP, ForceAuthn, RequestedAuthnContext, IsPassive,
 * the HTTP-POST request binding, IdP-initiated sign-in and the response page's CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { authnRequestPath, decodeResponse, nodeSamlSp, postedForm, rpConfig, signIn, spAccepts, spIdentity, startIdp, type IdpHost } from './support.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

const one = spIdentity('app-one');
const two = spIdentity('app-two');
const forced = spIdentity('app-forced');
const landing = spIdentity('app-landing');
let idp: IdpHost;

beforeAll(async () => {
  idp = await startIdp({
    relyingParties: [
      rpConfig(one, { requireSignedRequests: true }),
      rpConfig(two, { nameId: { format: 'persistent' } }),
      rpConfig(forced),
      rpConfig(landing, { allowIdpInitiated: true, idpInitiatedRelayState: '/home' }),
    ],
  });
});
afterAll(async () => {
  await idp.close();
});

function attributes(profile: unknown): Record<string, unknown> {
  return ((profile as { attributes?: Record<string, unknown> }).attributes ?? {}) as Record<string, unknown>;
}

describe('SAML IdP single sign-on', () => {
  it('signs a user in through /login and the TOTP challenge, and node-saml accepts the signed response', async () => {
    const sp = nodeSamlSp(idp, one.name, { signed: true });
    const b = new TestBrowser(idp.url);
    const { form, visited } = await signIn(idp, b, await authnRequestPath(sp, 'back-to/page'));
    expect(visited.some((v) => v.startsWith('/login?l='))).toBe(true);
    expect(visited.some((v) => v.startsWith('/mfa/'))).toBe(true);
    // The challenge POST answers with the response form itself: no /sso/resume hop.
    expect(visited.at(-1)).toMatch(/^\/mfa\//);
    expect(visited.some((v) => v.includes('/sso/resume'))).toBe(false);
    expect(form.fields.RelayState).toBe('back-to/page');
    const { profile } = await spAccepts(sp, form);
    expect(profile?.nameID).toBe('alice');
    expect(attributes(profile)[AMR]).toContain(MFA);
    const xml = decodeResponse(form);
    expect(xml).toContain(`<saml:AuthnContextClassRef>${MFA}</saml:AuthnContextClassRef>`);
    expect(xml).toMatch(/SessionIndex="_[0-9a-f]{40}"/);
    expect(xml).toMatch(/<saml:SubjectConfirmationData InResponseTo="[^"]+" NotOnOrAfter="[^"]+" Recipient="https:\/\/app-one\.example\.test\/acs">/);
    const audit = await idp.auditRows();
    expect(audit.some((r) => r.event === 'saml-response' && r.result === 'success' && r.relying_party === 'app-one')).toBe(true);
    // The host redacts SAMLRequest in request URLs; no message, password or assertion is logged.
    const logs = idp.logs.join('\n');
    expect(logs).toContain('SAMLRequest=[redacted]');
    expect(logs).not.toMatch(/SAMLRequest=(?!\[redacted\])|SAMLResponse|alice-password-1|<saml|PHNhbWw|fZJ/);
  });

  it('a second RP in the same session gets a response without a new challenge; ForceAuthn asks again', async () => {
    const b = new TestBrowser(idp.url);
    const first = nodeSamlSp(idp, one.name, { signed: true });
    const { form: f1 } = await signIn(idp, b, await authnRequestPath(first));
    const index1 = /SessionIndex="([^"]+)"/.exec(decodeResponse(f1))![1];

    const second = nodeSamlSp(idp, two.name);
    const res = await b.get(await authnRequestPath(second, 'two'));
    expect(res.status).toBe(200);
    const f2 = postedForm(await res.text());
    const { profile } = await spAccepts(second, f2);
    expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile?.nameID).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(profile?.nameID).not.toContain('alice');
    expect(/SessionIndex="([^"]+)"/.exec(decodeResponse(f2))![1]).toBe(index1);

    const force = nodeSamlSp(idp, forced.name, { forceAuthn: true });
    const again = await b.get(await authnRequestPath(force));
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/login\?l=/);
    const { form: f3, visited } = await signIn(idp, b, again.headers.get('location')!);
    expect(visited.some((v) => v.startsWith('/mfa/'))).toBe(true);
    expect((await spAccepts(force, f3)).profile?.nameID).toBe('alice');
    // The forced re-authentication kept the session's earlier RPs (for single logout) and its user.
    const sessions = await idp.host.api.store.db.selectFrom('sessions').selectAll().execute();
    const data = sessions.map((s) => JSON.parse(s.data) as { data: Record<string, { participants: { rp: string }[] }> });
    expect(data.some((d) => d.data['saml-idp']?.participants.map((p) => p.rp).sort().join() === 'app-forced,app-one,app-two')).toBe(true);
  });

  it('RequestedAuthnContext: multipleauthn is met by the MFA session; exact PasswordProtectedTransport is answered with it', async () => {
    const b = new TestBrowser(idp.url);
    await signIn(idp, b, await authnRequestPath(nodeSamlSp(idp, one.name, { signed: true })));
    const mfa = nodeSamlSp(idp, two.name, { authnContext: [MFA], racComparison: 'minimum' });
    const r1 = await b.get(await authnRequestPath(mfa));
    expect(r1.status).toBe(200);
    expect(decodeResponse(postedForm(await r1.text()))).toContain(`>${MFA}<`);
    const ppt = nodeSamlSp(idp, two.name, { authnContext: [PPT], racComparison: 'exact' });
    const r2 = await b.get(await authnRequestPath(ppt));
    const xml = decodeResponse(postedForm(await r2.text()));
    expect(xml).toContain(`>${PPT}<`);
    expect(xml).toContain(`>${MFA}<`);
  });

  it('an authentication context we cannot produce gets a signed NoAuthnContext status, without assertion', async () => {
    const sp = nodeSamlSp(idp, two.name, { authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard'] });
    const res = await new TestBrowser(idp.url).get(await authnRequestPath(sp));
    const form = postedForm(await res.text());
    const xml = decodeResponse(form);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext');
    expect(xml).not.toContain('Assertion');
    await expect(sp.saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! })).rejects.toThrow(/NoAuthnContext|Responder/);
  });

  it('a NameIDPolicy format the RP is not configured for gets InvalidNameIDPolicy; unspecified is fine', async () => {
    const sp = nodeSamlSp(idp, two.name);
    sp.saml.options.identifierFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
    const res = await new TestBrowser(idp.url).get(await authnRequestPath(sp));
    expect(decodeResponse(postedForm(await res.text()))).toContain('urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy');
    sp.saml.options.identifierFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
    expect((await new TestBrowser(idp.url).get(await authnRequestPath(sp))).status).toBe(303);
  });

  it('a challenge that ends in denial (lockout) gives the lock page and no assertion', async () => {
    const b = new TestBrowser(idp.url);
    await signIn(idp, b, await authnRequestPath(nodeSamlSp(idp, one.name, { signed: true })), 'bob');
    const again = await b.get(await authnRequestPath(nodeSamlSp(idp, forced.name, { forceAuthn: true })));
    const login = await b.get(again.headers.get('location')!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    const l = new URL(again.headers.get('location')!, idp.url).searchParams.get('l')!;
    const toMfa = await b.post('/login', { _csrf: csrf, username: 'bob', password: 'bob-password-1', l });
    const mfa = toMfa.headers.get('location')!;
    let last = '';
    let status = 0;
    for (let i = 0; i < 8 && !(status === 403 && !last.includes('name="code"')); i++) {
      const page = await (await b.get(mfa)).text();
      if (!page.includes('name="method"')) {
        last = page;
        break;
      }
      const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(page)![1]!;
      const r = await b.post(mfa, { _csrf: field('_csrf'), method: field('method'), code: '000000' });
      status = r.status;
      last = await r.text();
    }
    expect(status).toBe(403);
    expect(last.replace(/<style>[\s\S]*<\/style>/, '')).toContain('the second step of sign-in is locked for your account until');
    expect(last).not.toContain('SAMLResponse');
    const audit = await idp.auditRows();
    expect(audit.some((r) => r.event === 'challenge' && r.result === 'denied' && r.username === 'bob')).toBe(true);
    expect(audit.filter((r) => r.event === 'saml-response' && r.username === 'bob' && r.relying_party === 'app-forced')).toHaveLength(0);
  });

  it('the /sso/resume link an older host issued refuses a missing, forged or oversized token with a page, and posts nothing', async () => {
    const b = new TestBrowser(idp.url);
    await signIn(idp, b, await authnRequestPath(nodeSamlSp(idp, one.name, { signed: true })));
    for (const query of ['', '?c=not-a-token', `?c=${'A'.repeat(200)}`, `?c=${'A'.repeat(9000)}`, '?c=a&c=b']) {
      const res = await b.get(`/saml/idp/sso/resume${query}`);
      expect(res.status, query.slice(0, 20)).toBeGreaterThanOrEqual(400);
      expect(res.status, query.slice(0, 20)).toBeLessThan(500);
      const html = await res.text();
      expect(html).toContain('start again from the application');
      expect(html).not.toContain('SAMLResponse');
    }
    expect((await b.get('/healthz')).status).toBe(200);
  });

  it('IsPassive without a session answers NoPassive at once', async () => {
    const sp = nodeSamlSp(idp, two.name);
    const url = new URL(await sp.saml.getAuthorizeUrlAsync('', undefined, {}));
    const { inflateRawSync, deflateRawSync } = await import('node:zlib');
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString().replace('<samlp:AuthnRequest ', '<samlp:AuthnRequest IsPassive="true" ');
    const res = await new TestBrowser(idp.url).get(`/saml/idp/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`);
    expect(decodeResponse(postedForm(await res.text()))).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
  });

  it('accepts the HTTP-POST binding, going through a same-site GET so the session cookie is seen', async () => {
    const b = new TestBrowser(idp.url);
    await signIn(idp, b, await authnRequestPath(nodeSamlSp(idp, one.name, { signed: true })));
    const sp = nodeSamlSp(idp, two.name, { postBinding: true });
    const html = await sp.saml.getAuthorizeFormAsync('post-rs', undefined, {});
    const posted = postedForm(html.replace(/<input type="hidden" name="(\w+)" value="([^"]*)" \/>/g, '<input type="hidden" name="$1" value="$2">'));
    // node-saml deflates its POST messages too (Bindings §3.5.4 does not); both forms are accepted.
    expect(Buffer.from(posted.fields.SAMLRequest!, 'base64')[0]).not.toBe(0x3c);
    const res = await b.post('/saml/idp/sso', posted.fields);
    expect(res.status).toBe(303);
    const bounce = res.headers.get('location')!;
    expect(bounce).toMatch(/^\/saml\/idp\/sso\/continue\?r=/);
    const page = await b.get(bounce);
    const form = postedForm(await page.text());
    expect(form.fields.RelayState).toBe('post-rs');
    expect((await spAccepts(sp, form)).profile?.nameID).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await b.get(bounce)).status).toBe(400);
  });

  it('IdP-initiated sign-in, where enabled, sends an unsolicited response with the configured RelayState', async () => {
    const b = new TestBrowser(idp.url);
    const { form } = await signIn(idp, b, '/saml/idp/sso?rp=app-landing');
    expect(form.action).toBe(landing.acs);
    expect(form.fields.RelayState).toBe('/home');
    const xml = decodeResponse(form);
    expect(xml).not.toContain('InResponseTo');
    expect(xml).toContain(`<saml:Audience>${landing.entityId}</saml:Audience>`);
  });

  it('the response page posts only to the ACS origin, with a same-origin script and a button', async () => {
    const b = new TestBrowser(idp.url);
    const sp = nodeSamlSp(idp, one.name, { signed: true });
    await signIn(idp, b, await authnRequestPath(sp));
    const res = await b.get(await authnRequestPath(nodeSamlSp(idp, two.name)));
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain('form-action https://app-two.example.test');
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script src="/saml/idp/static/autosubmit.js" defer></script>');
    expect(html).toContain('<button type="submit">Continue</button>');
    const js = await b.get('/saml/idp/static/autosubmit.js');
    expect(await js.text()).toContain('submit()');
  });
});
