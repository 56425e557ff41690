/** A plain, valid response input that tests copy and change one field of. */
import type { SamlResponseInput } from '../../../src/saml/emit-response.js';

export const SAMPLE_IDP = 'https://idp.example/saml';
export const SAMPLE_SP = 'https://sp.example/metadata';
export const SAMPLE_ACS = 'https://sp.example/acs';
export const SAMPLE_REQUEST_ID = '_request-1';

export function sampleInput(now: number): SamlResponseInput {
  return {
    issueInstant: now,
    destination: SAMPLE_ACS,
    inResponseTo: SAMPLE_REQUEST_ID,
    issuer: SAMPLE_IDP,
    nameId: { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    subjectConfirmation: { recipient: SAMPLE_ACS, notOnOrAfter: now + 5 * 60_000 },
    conditions: { notBefore: now - 60_000, notOnOrAfter: now + 5 * 60_000, audiences: [SAMPLE_SP] },
    authnStatement: {
      authnInstant: now - 1000,
      sessionIndex: '_session-1',
      authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    },
    attributes: [
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', values: ['alice@example.com'] },
      {
        name: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
        friendlyName: 'amr',
        values: ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'totp'],
      },
      { name: 'memberOf', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', values: ['R&D <lab>', 'a"b\'c'] },
    ],
  };
}
