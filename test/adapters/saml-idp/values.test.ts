/** NameID and attribute values, and the authentication-context rules, as plain functions. */
import { describe, expect, it } from 'vitest';
import { classRefFor, meets } from '../../../adapters/saml-idp/authn-context.js';
import { amrValues, nameIdFor, userValue } from '../../../adapters/saml-idp/issue-response.js';
import { relyingPartySchema } from '../../../adapters/saml-idp/config.js';
import { chooseNameIdFormat } from '../../../adapters/saml-idp/name-id-policy.js';
import type { RelyingParty } from '../../../adapters/saml-idp/relying-parties.js';
import type { UserRecord } from '../../../src/api/host-api.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

const user: UserRecord = {
  id: 'u-1', username: 'jdoe', externalId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', upn: 'jdoe@corp.example', displayName: 'J Doe',
  givenName: 'J', surname: 'Doe', email: null, phone: null, mobile: null, disabled: false,
};
const ctx = { idpEntityId: 'idp', pairwiseKey: Buffer.alloc(32, 7) };
const T = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const P = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const U = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const E = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

function rp(entityId: string, nameId: object): RelyingParty {
  const config = relyingPartySchema.parse({ name: entityId, entityId, acs: [{ url: 'https://sp.example.test/acs' }], nameId });
  return { name: entityId, entityId, config, acs: [], slo: null, signingCerts: [], encryptionCert: null, requireSignedRequests: false, wantAssertionsSigned: false, loadedAt: null };
}

describe('NameID and attribute values', () => {
  it('immutableId is the base64 of the objectGUID bytes in AD storage order (what Entra ID Connect uses)', () => {
    // MS-DTYP §2.3.4: {3F2504E0-4F89-11D3-9A0C-0305E82C3301} is stored E0 04 25 3F 89 4F D3 11 9A 0C …
    expect(Buffer.from(userValue('immutableId', user, ctx, rp('sp', {}))!, 'base64').toString('hex')).toBe('e004253f894fd3119a0c0305e82c3301');
  });

  it('persistent NameIDs are opaque, stable, differ per relying party and depend on the key', () => {
    const a = nameIdFor(rp('https://a.example.test', { format: 'persistent' }), user, ctx);
    const b = nameIdFor(rp('https://b.example.test', { format: 'persistent' }), user, ctx);
    expect(a.format).toBe(P);
    expect(a.value).not.toBe(b.value);
    expect(a.value).not.toContain('jdoe');
    expect(nameIdFor(rp('https://a.example.test', { format: 'persistent' }), user, ctx).value).toBe(a.value);
    // Knowing the user id and both entity ids is not enough to compute it: the key is needed.
    const otherKey = nameIdFor(rp('https://a.example.test', { format: 'persistent' }), user, { ...ctx, pairwiseKey: Buffer.alloc(32, 8) });
    expect(otherKey.value).not.toBe(a.value);
  });

  it('transient NameIDs are fresh for every response, also when the RP pins transient', () => {
    const pinned = rp('https://t.example.test', { format: 'transient' });
    const one = nameIdFor(pinned, user, ctx);
    const two = nameIdFor(pinned, user, ctx);
    expect(one.format).toBe(T);
    expect(one.value).not.toBe(two.value);
    expect(one.value).toMatch(/^_[0-9a-f]{40}$/);
    const asked = nameIdFor(rp('https://u.example.test', { source: 'upn' }), user, ctx, { format: 'transient', pinned: false });
    expect(asked.value).not.toBe('jdoe@corp.example');
  });

  it('a NameID source the user lacks is refused with the RP named, not sent empty', () => {
    expect(() => nameIdFor(rp('sp-mail', { format: 'emailAddress' }), user, ctx)).toThrow(/NAMEID_UNAVAILABLE/);
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

describe('NameIDPolicy Format (SAML Core §3.4.1.1)', () => {
  const unpinned = relyingPartySchema.parse({ name: 'a', entityId: 'a', acs: [{ url: 'https://sp.example.test/acs' }] });
  const pinnedEmail = relyingPartySchema.parse({ name: 'b', entityId: 'b', acs: [{ url: 'https://sp.example.test/acs' }], nameId: { format: 'emailAddress' } });

  it('an RP that pins nothing gets unspecified, or the transient or persistent format its request asks for', () => {
    expect(chooseNameIdFormat(unpinned, undefined)).toEqual({ format: 'unspecified', pinned: false });
    expect(chooseNameIdFormat(unpinned, U)).toEqual({ format: 'unspecified', pinned: false });
    expect(chooseNameIdFormat(unpinned, T)).toEqual({ format: 'transient', pinned: false });
    expect(chooseNameIdFormat(unpinned, P)).toEqual({ format: 'persistent', pinned: false });
  });

  it('an RP that pins a format gets only that one; any other requested format is refused', () => {
    expect(chooseNameIdFormat(pinnedEmail, undefined)).toEqual({ format: 'emailAddress', pinned: true });
    expect(chooseNameIdFormat(pinnedEmail, U)).toEqual({ format: 'emailAddress', pinned: true });
    expect(chooseNameIdFormat(pinnedEmail, E)).toEqual({ format: 'emailAddress', pinned: true });
    expect(chooseNameIdFormat(pinnedEmail, T)).toBeNull();
    expect(chooseNameIdFormat(pinnedEmail, P)).toBeNull();
  });

  it('a format we do not issue unasked (emailAddress, X.509 subject, unknown) is refused when nothing is pinned', () => {
    expect(chooseNameIdFormat(unpinned, E)).toBeNull();
    expect(chooseNameIdFormat(unpinned, 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName')).toBeNull();
    expect(chooseNameIdFormat(unpinned, 'urn:example:whatever')).toBeNull();
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
