/**
 * Step-up (issue 20) as relying parties see it: a trusted network lets a sign-in through with a
 * password only (PasswordProtectedTransport), but a relying party asking for `multipleauthn` in
 * RequestedAuthnContext gets the challenge from the same network; and one asking for it where the
 * policy lets the user through without a factor gets the NoAuthnContext status, no assertion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { authnRequestPath, decodeResponse, nodeSamlSp, rpConfig, signIn, spAccepts, spIdentity, startIdp, type IdpHost } from './support.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const plain = spIdentity('app-plain');
const strict = spIdentity('app-strict');
const lax = spIdentity('app-lax');
let idp: IdpHost;

beforeAll(async () => {
  idp = await startIdp(
    { relyingParties: [rpConfig(plain), rpConfig(strict), rpConfig(lax)] },
    {
      config: {
        policies: {
          rules: [
            { name: 'lax-allow', apps: ['app-lax'], enrolment: 'allow' },
            { name: 'loopback-office', trustedNetworks: { networks: ['127.0.0.0/8', '::1/128'] } },
          ],
        },
      },
    },
  );
});
afterAll(async () => {
  await idp.close();
});

describe('step-up through the SAML IdP', () => {
  it('from the trusted network a relying party asking for nothing gets a password-only assertion, audited as a skip', async () => {
    const sp = nodeSamlSp(idp, plain.name);
    const { form, visited } = await signIn(idp, new TestBrowser(idp.url), await authnRequestPath(sp));
    expect(visited.some((v) => v.startsWith('/mfa/'))).toBe(true);
    const xml = decodeResponse(form);
    expect(xml).toContain(`<saml:AuthnContextClassRef>${PPT}</saml:AuthnContextClassRef>`);
    expect((await spAccepts(sp, form)).profile?.nameID).toBe('alice');
    const rows = await idp.auditRows();
    expect(rows.some((r) => r.event === 'second-factor' && r.relying_party === 'app-plain' && r.detail?.startsWith('skipped: trusted network 127.0.0.0/8, by rule "loopback-office"'))).toBe(true);
  });

  it('a relying party asking for multipleauthn gets the challenge from the same network, and an MFA assertion', async () => {
    const sp = nodeSamlSp(idp, strict.name, { authnContext: [MFA], racComparison: 'minimum' });
    const before = (await idp.auditRows()).length;
    const { form } = await signIn(idp, new TestBrowser(idp.url), await authnRequestPath(sp));
    expect(decodeResponse(form)).toContain(`<saml:AuthnContextClassRef>${MFA}</saml:AuthnContextClassRef>`);
    const rows = (await idp.auditRows()).slice(before);
    expect(rows.some((r) => r.event === 'second-factor' && r.result === 'success' && r.relying_party === 'app-strict' && r.detail === null)).toBe(true);
    expect(rows.some((r) => r.detail?.startsWith('skipped:'))).toBe(false);
  });

  it('asking for multipleauthn where the policy passes the user without a factor answers NoAuthnContext, without assertion', async () => {
    const sp = nodeSamlSp(idp, lax.name, { authnContext: [MFA], racComparison: 'minimum' });
    // bob has no method; the rule for app-lax lets such users through (enrolment allow).
    const { form } = await signIn(idp, new TestBrowser(idp.url), await authnRequestPath(sp), 'bob');
    const xml = decodeResponse(form);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext');
    expect(xml).not.toContain('Assertion');
    const rows = await idp.auditRows();
    expect(rows.some((r) => r.event === 'saml-response' && r.result === 'denied' && r.relying_party === 'app-lax' && r.deny_reason === 'NO_AUTHN_CONTEXT')).toBe(true);
  });
});
