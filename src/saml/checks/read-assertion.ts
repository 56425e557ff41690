// The subject, authentication statement and attributes, read from the signed bytes only.
import type { XmlElement as Element } from '../../xml/index.js';
import { NS_SAML, children, clip, fail, instantAttribute, need, onlyChild, simpleText, type ResponseCheck } from './context.js';
import { attr, attrNS } from '../../xml/index.js';

const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export const readAssertion: ResponseCheck = (ctx) => {
  const signed = need(ctx.signedAssertion, 'the signed Assertion');
  const subject = need(onlyChild(signed, NS_SAML, 'Subject') ?? undefined, 'the Subject');

  // SAML Profiles §4.1.4.2: the Subject identifies the principal; we need a plain NameID
  // (BaseID is abstract, EncryptedID was refused by check-shape).
  const nameIdElement = onlyChild(subject, NS_SAML, 'NameID');
  if (!nameIdElement) return fail('MALFORMED', 'the Subject has no single NameID');
  const nameId = simpleText(nameIdElement);
  if (nameId === undefined || nameId.trim() === '') return fail('MALFORMED', `NameID ${clip(nameId)} is empty or not text`);

  // SAML Profiles §4.1.4.2: at least one AuthnStatement; we take exactly one, so that there is
  // one AuthnInstant and one context to judge (trustUpstreamMfa) and no choosing between them.
  const statements = children(signed, NS_SAML, 'AuthnStatement');
  if (statements.length !== 1) return fail('MALFORMED', `${statements.length} AuthnStatements (exactly one is read)`);
  const statement = statements[0] as Element;
  const authnInstant = instantAttribute(statement, 'AuthnInstant');
  if (authnInstant === null || authnInstant === undefined) return fail('MALFORMED', `AuthnInstant ${clip(attr(statement, 'AuthnInstant'))} is missing or not a UTC instant`);
  const sessionNotOnOrAfter = instantAttribute(statement, 'SessionNotOnOrAfter');
  if (sessionNotOnOrAfter === undefined) return fail('MALFORMED', 'SessionNotOnOrAfter is not a UTC instant');
  if (sessionNotOnOrAfter !== null && ctx.now - ctx.skewMs >= sessionNotOnOrAfter) {
    return fail('EXPIRED', `the upstream session ended at ${new Date(sessionNotOnOrAfter).toISOString()}`);
  }
  const classRefs: string[] = [];
  const context = onlyChild(statement, NS_SAML, 'AuthnContext');
  if (context) {
    for (const ref of children(context, NS_SAML, 'AuthnContextClassRef')) {
      const value = simpleText(ref)?.trim();
      if (value) classRefs.push(value);
    }
  }

  /*
   * SAML Core §2.7.3: Attribute Name → AttributeValue*. Values are the text content; xsi:nil
   * values (§2.7.3.1.1) and structured values are skipped. A null-prototype record, so an
   * attribute named "__proto__" or "constructor" is just a name.
   */
  const attributes = Object.create(null) as Record<string, string[]>;
  for (const statementEl of children(signed, NS_SAML, 'AttributeStatement')) {
    for (const attribute of children(statementEl, NS_SAML, 'Attribute')) {
      const name = attr(attribute, 'Name');
      if (!name) return fail('MALFORMED', 'an Attribute without Name');
      const values = (attributes[name] ??= []);
      for (const valueEl of children(attribute, NS_SAML, 'AttributeValue')) {
        if (attrNS(valueEl, NS_XSI, 'nil') === 'true') continue;
        const value = simpleText(valueEl);
        if (value !== undefined) values.push(value);
      }
    }
  }

  ctx.result = {
    ok: true,
    issuer: ctx.expectations.issuer,
    nameId: { value: nameId, format: attr(nameIdElement, 'Format') },
    sessionIndex: attr(statement, 'SessionIndex'),
    authnContextClassRefs: classRefs,
    authnInstant,
    attributes,
    assertionId: need(attr(signed, 'ID') ?? undefined, 'the Assertion ID'),
    notOnOrAfter: need(ctx.notOnOrAfter, 'the validity window'),
    sessionNotOnOrAfter,
    inResponseTo: need(ctx.confirmationInResponseTo ?? undefined, 'InResponseTo'),
    pinnedCertificateIndex: need(ctx.pinnedCertificateIndex, 'the verifying certificate'),
  };
  return undefined;
};
