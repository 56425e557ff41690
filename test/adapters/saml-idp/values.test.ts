/** NameID and attribute values, and the authentication-context rules, as plain functions. */
import { describe, expect, it } from 'vitest';
import { classRefFor, meets } from '../../../adapters/saml-idp/authn-context.js';
import { amrValues, nameIdFor, userValue } from '../../../adapters/saml-idp/issue-response.js';
import { relyingPartySchema } from '../../../adapters/saml-idp/config.js';
import type { RelyingParty } from '../../../adapters/saml-idp/relying-parties.js';
import type { UserRecord } from '../../../src/host/host-api.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

const user: UserRecord = {
  id: 'u-1', username: 'jdoe', externalId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', upn: 'jdoe@corp.example', displayName: 'J Doe',
  givenName: 'J', surname: 'Doe', email: null, phone: null, mobile: null, disabled: false,
};
function rp(entityId: string, nameId: object): RelyingParty {
  const config = relyingPartySchema.parse({ name: entityId, entityId, acs: [{ url: 'https://sp.example.test/acs' }], nameId });
  return { name: entityId, entityId, config, acs: [], slo: null, signingCerts: [], encryptionCert: null, requireSignedRequests: false, wantAssertionsSigned: false, loadedAt: null };
}

describe('NameID and attribute values', () => {
  it('immutableId is the base64 of the objectGUID bytes in AD storage order (what Entra ID Connect uses)', () => {
    // MS-DTYP §2.3.4: {3F2504E0-4F89-11D3-9A0C-0305E82C3301} is stored E0 04 25 3F 89 4F D3 11 9A 0C …
    expect(Buffer.from(userValue('immutableId', user, 'idp', rp('sp', {}))!, 'base64').toString('hex')).toBe('e004253f894fd3119a0c0305e82c3301');
  });

  it('persistent NameIDs are opaque and differ per relying party', () => {
    const a = nameIdFor(rp('https://a.example.test', { format: 'persistent' }), user, 'idp');
    const b = nameIdFor(rp('https://b.example.test', { format: 'persistent' }), user, 'idp');
    expect(a.format).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(a.value).not.toBe(b.value);
    expect(a.value).not.toContain('jdoe');
  });

  it('a NameID source the user lacks is refused with the RP named, not sent empty', () => {
    expect(() => nameIdFor(rp('sp-mail', { format: 'emailAddress' }), user, 'idp')).toThrow(/NAMEID_UNAVAILABLE/);
  });

  it('authnmethodsreferences carries password, OTP, the methods and multipleauthn after a second factor', () => {
    expect(amrValues(['totp'], true)).toEqual([
      'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
      'http://schemas.microsoft.com/ws/2012/12/authmethod/otp',
      'urn:factorgate:method:totp',
      MFA,
    ]);
    expect(amrValues([], false)).not.toContain(MFA);
  });
});

describe('RequestedAuthnContext (SAML Core §3.3.2.2.1)', () => {
  it('orders password below multi-factor for minimum, better and maximum', () => {
    expect(meets({ comparison: 'minimum', classRefs: [MFA] }, false, MFA)).toBe(false);
    expect(meets({ comparison: 'minimum', classRefs: [MFA] }, true, MFA)).toBe(true);
    expect(meets({ comparison: 'better', classRefs: [PPT] }, true, MFA)).toBe(true);
    expect(meets({ comparison: 'better', classRefs: [MFA] }, true, MFA)).toBe(false);
    expect(meets({ comparison: 'maximum', classRefs: [PPT] }, false, MFA)).toBe(true);
    expect(meets({ comparison: 'exact', classRefs: ['urn:example:unknown'] }, true, MFA)).toBe(false);
  });

  it('answers exact requests with a requested class; password-only sessions never claim multi-factor', () => {
    expect(classRefFor({ comparison: 'exact', classRefs: [PPT] }, true, MFA)).toBe(PPT);
    expect(classRefFor({ comparison: 'exact', classRefs: [MFA, PPT] }, true, MFA)).toBe(MFA);
    expect(classRefFor(undefined, false, MFA)).toBe(PPT);
    expect(classRefFor({ comparison: 'minimum', classRefs: [PPT] }, true, MFA)).toBe(MFA);
  });
});
