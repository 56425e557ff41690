// The Assertion (and the Response, when it names one) is issued by the expected upstream IdP.
import type { XmlElement as Element } from '../../xml/index.js';
import { NS_SAML, clip, fail, need, onlyChild, simpleText, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

const FORMAT_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

function issuerOf(parent: Element): { value: string | undefined; format: string | null } | null | undefined {
  const issuer = onlyChild(parent, NS_SAML, 'Issuer');
  if (!issuer) return issuer;
  return { value: simpleText(issuer), format: attr(issuer, 'Format') };
}

export const checkIssuer: ResponseCheck = (ctx) => {
  const expected = ctx.expectations.issuer;
  const signed = need(ctx.signedAssertion, 'the signed Assertion');
  // SAML Core §2.3.3: an Assertion has exactly one Issuer. SAML Profiles §4.1.4.2: its Format
  // is omitted or the entity format, and its value is the IdP's entity id.
  const assertionIssuer = issuerOf(signed);
  if (!assertionIssuer) return fail('ISSUER', 'the Assertion has no single Issuer');
  if (assertionIssuer.format !== null && assertionIssuer.format !== FORMAT_ENTITY) {
    return fail('ISSUER', `Assertion Issuer Format ${clip(assertionIssuer.format)} is not entity`);
  }
  if (assertionIssuer.value !== expected) return fail('ISSUER', `Assertion Issuer ${clip(assertionIssuer.value)} is not ${clip(expected)}`);

  // The Response's Issuer is optional (SAML Core §3.2.2), but when present it must agree.
  const responseIssuer = issuerOf(need(ctx.response, 'the Response'));
  if (responseIssuer === null) return fail('ISSUER', 'the Response has several Issuers');
  if (responseIssuer !== undefined && responseIssuer.value !== expected) {
    return fail('ISSUER', `Response Issuer ${clip(responseIssuer.value)} is not ${clip(expected)}`);
  }
  return undefined;
};
