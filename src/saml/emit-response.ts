/**
 * Emits a signed SAML 2.0 `samlp:Response` carrying one `saml:Assertion`, without a DOM.
 *
 * Every element is written already in the form Exclusive XML Canonicalization 1.0 gives it in
 * context, so the digest of an enveloped-signature Reference (XML-DSig core §6.6.4 followed by
 * exc-c14n) is simply the SHA-256 of the written bytes with the Signature left out. That
 * requires, and the builders below keep to, these rules:
 * - namespace declarations appear only where exc-c14n renders them: on the first element
 *   that visibly uses the prefix (exc-c14n §3 "visibly utilizes"), or on the signed apex for
 *   prefixes listed in `InclusiveNamespaces PrefixList` (exc-c14n §3.1); so the Assertion
 *   declares `saml` itself and the Response's Issuer declares it again;
 * - namespace declarations first, sorted by prefix, then attributes sorted by namespace URI
 *   and local name, unqualified ones first (Canonical XML 1.0 §2.2, "Document Order");
 * - values escaped as `xml-escape.ts` describes; no self-closing tags (Canonical XML 1.0 §2.2:
 *   empty elements become start-end tag pairs); no whitespace between elements, because
 *   whitespace around the spliced Signature would survive the enveloped transform.
 */
import { createHash } from 'node:crypto';
import { SamlEmitError } from './emit-error.js';
import type { AssertionEncrypter } from './encrypt-assertion.js';
import { newSamlId, isSafeSamlId } from './saml-id.js';
import type { SamlSigner } from './signer.js';
import { canonicalAttribute, canonicalText, toDocumentForm } from './xml-escape.js';

const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_XS = 'http://www.w3.org/2001/XMLSchema';
const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const ALG_SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const ATTRNAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

/** A point in time: a `Date` or milliseconds since the Unix epoch. */
export type SamlInstant = Date | number;

export interface SamlNameId {
  value: string;
  /** e.g. `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`. */
  format: string;
  nameQualifier?: string;
  spNameQualifier?: string;
}

export interface SamlAttribute {
  name: string;
  /** Defaults to `urn:oasis:names:tc:SAML:2.0:attrname-format:uri`. */
  nameFormat?: string;
  friendlyName?: string;
  values: readonly string[];
}

export interface SamlResponseInput {
  /** Defaults to a fresh random ID. */
  responseId?: string;
  /** Defaults to a fresh random ID. */
  assertionId?: string;
  issueInstant: SamlInstant;
  /** The ACS URL; required on signed responses (SAML Bindings §3.5.5.2). */
  destination: string;
  /** The AuthnRequest's ID; absent for IdP-initiated responses. Also used in SubjectConfirmationData. */
  inResponseTo?: string;
  issuer: string;
  nameId: SamlNameId;
  /** Bearer confirmation (SAML Profiles §4.1.4.2): Recipient is the ACS URL. */
  subjectConfirmation: { recipient: string; notOnOrAfter: SamlInstant };
  conditions: { notBefore: SamlInstant; notOnOrAfter: SamlInstant; audiences: readonly string[] };
  authnStatement: {
    authnInstant: SamlInstant;
    sessionIndex?: string;
    sessionNotOnOrAfter?: SamlInstant;
    authnContextClassRef: string;
  };
  attributes?: readonly SamlAttribute[];
}

export interface SamlEmitOptions {
  /**
   * Which element carries a signature. `both` signs the Assertion first, then the Response
   * over the Response that contains the signed Assertion. Defaults to `assertion`.
   */
  sign?: 'assertion' | 'response' | 'both';
  /**
   * `untyped` (default) writes plain `<saml:AttributeValue>` text, which AD FS, Entra ID,
   * node-saml, pysaml2 and Shibboleth accept, and keeps `xs`/`xsi` out of the signed bytes.
   * `xs:string` adds `xsi:type="xs:string"` for SPs that insist on it; then `xs` is used only
   * inside an attribute value, which exc-c14n does not count as visible use (exc-c14n §3), so
   * both prefixes are declared on the Assertion and listed in `InclusiveNamespaces PrefixList`.
   */
  attributeValueType?: 'untyped' | 'xs:string';
  /**
   * Encrypts the (signed) Assertion for the SP (SAML Core §6.1: sign, then encrypt). With
   * `sign: 'both'` the Response signature covers the EncryptedAssertion.
   */
  encryptAssertion?: AssertionEncrypter;
}

/** One signable element, split where its `ds:Signature` goes (right after its Issuer). */
interface Signable {
  id: string;
  head: string;
  tail: string;
}

interface Draft {
  assertion: Signable;
  responseId: string;
  responseHead: string;
  status: string;
  prefixList: string;
  signAssertion: boolean;
  signResponse: boolean;
  encrypter: AssertionEncrypter | undefined;
}

/** Builds and signs on the calling thread. */
export function buildSignedResponseSync(
  input: SamlResponseInput,
  signer: SamlSigner,
  options: SamlEmitOptions = {},
): string {
  const draft = compose(input, options);
  let assertion = draft.assertion.head + draft.assertion.tail;
  if (draft.signAssertion) {
    const signedInfo = signedInfoFor(draft.assertion, draft.prefixList, signer);
    const value = signer.signSync(signedInfo.canonical);
    assertion = draft.assertion.head + signatureElement(signedInfo.inDocument, value, signer) + draft.assertion.tail;
  }
  const response = responseSignable(draft, assertion);
  if (!draft.signResponse) return toDocumentForm(response.head + response.tail);
  const signedInfo = signedInfoFor(response, draft.prefixList, signer);
  const value = signer.signSync(signedInfo.canonical);
  return toDocumentForm(response.head + signatureElement(signedInfo.inDocument, value, signer) + response.tail);
}

/** Builds on the calling thread and signs on the libuv threadpool. */
export async function buildSignedResponse(
  input: SamlResponseInput,
  signer: SamlSigner,
  options: SamlEmitOptions = {},
): Promise<string> {
  const draft = compose(input, options);
  let assertion = draft.assertion.head + draft.assertion.tail;
  if (draft.signAssertion) {
    const signedInfo = signedInfoFor(draft.assertion, draft.prefixList, signer);
    const value = await signer.sign(signedInfo.canonical);
    assertion = draft.assertion.head + signatureElement(signedInfo.inDocument, value, signer) + draft.assertion.tail;
  }
  const response = responseSignable(draft, assertion);
  if (!draft.signResponse) return toDocumentForm(response.head + response.tail);
  const signedInfo = signedInfoFor(response, draft.prefixList, signer);
  const value = await signer.sign(signedInfo.canonical);
  return toDocumentForm(response.head + signatureElement(signedInfo.inDocument, value, signer) + response.tail);
}

/**
 * Signs any other SAML protocol message written, like the Response above, already in exclusive
 * C14N form (LogoutRequest, LogoutResponse, a Response that carries only a Status): `head` ends
 * right after the message's `saml:Issuer`, where the enveloped signature goes (SAML Core
 * §5.4.1 and the schema order), and `tail` is the rest. Returns the document form.
 */
export async function signCanonicalMessage(
  message: { id: string; head: string; tail: string },
  signer: SamlSigner,
): Promise<string> {
  return toDocumentForm(await signCanonicalElement(message, signer));
}

/**
 * Signs any element written in exclusive C14N form with an enveloped signature spliced between
 * `head` and `tail`, wherever its schema puts it (after a SAML 2.0 Issuer; last in a SAML 1.1
 * Assertion; first in md:EntityDescriptor). `inclusivePrefixes` lists prefixes declared on the
 * apex but used only inside attribute values (`xsi:type="fed:…"`), for `InclusiveNamespaces
 * PrefixList`. Returns the canonical form, for embedding in a larger canonical document; pass
 * the final document through `toDocumentForm` before sending it.
 */
export async function signCanonicalElement(
  element: { id: string; head: string; tail: string; inclusivePrefixes?: readonly string[] },
  signer: SamlSigner,
): Promise<string> {
  if (!isSafeSamlId(element.id)) throw new SamlEmitError('INVALID_INPUT', 'element id is not a safe xs:ID');
  const prefixes = element.inclusivePrefixes ?? [];
  if (prefixes.some((p) => !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(p))) throw new SamlEmitError('INVALID_INPUT', 'inclusive prefixes must be NCNames');
  const signedInfo = signedInfoFor(element, [...prefixes].sort().join(' '), signer);
  const value = await signer.sign(signedInfo.canonical);
  return element.head + signatureElement(signedInfo.inDocument, value, signer) + element.tail;
}

function responseSignable(draft: Draft, assertion: string): Signable {
  // The SP parses the decrypted assertion on its own, so it gets the document form.
  const carried = draft.encrypter === undefined ? assertion : draft.encrypter.encrypt(toDocumentForm(assertion));
  return { id: draft.responseId, head: draft.responseHead, tail: draft.status + carried + '</samlp:Response>' };
}

/**
 * The SignedInfo for one enveloped Reference. What is signed is SignedInfo canonicalised on its
 * own (XML-DSig core §3.1.2), where exc-c14n renders `xmlns:ds` on it; in the document it
 * inherits `ds` from the Signature element, so the declaration is absent there.
 */
function signedInfoFor(
  target: Signable,
  prefixList: string,
  signer: SamlSigner,
): { canonical: string; inDocument: string } {
  const digest = createHash('sha256').update(target.head).update(target.tail).digest('base64');
  const inclusive =
    prefixList === ''
      ? ''
      : `<ec:InclusiveNamespaces xmlns:ec="${ALG_EXC_C14N}" PrefixList="${prefixList}"></ec:InclusiveNamespaces>`;
  const body =
    `<ds:CanonicalizationMethod Algorithm="${ALG_EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${signer.signatureMethodUri}"></ds:SignatureMethod>` +
    `<ds:Reference URI="#${target.id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${ALG_ENVELOPED}"></ds:Transform>` +
    `<ds:Transform Algorithm="${ALG_EXC_C14N}">${inclusive}</ds:Transform>` +
    `</ds:Transforms><ds:DigestMethod Algorithm="${ALG_SHA256}"></ds:DigestMethod>` +
    `<ds:DigestValue>${digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  return {
    canonical: `<ds:SignedInfo xmlns:ds="${NS_DS}">` + body,
    inDocument: '<ds:SignedInfo>' + body,
  };
}

/*
 * The certificate goes in KeyInfo for SPs that select a key by it; verifiers must still pin
 * the certificate from metadata (DESIGN.md security baseline), never trust KeyInfo.
 */
function signatureElement(signedInfo: string, signatureValue: string, signer: SamlSigner): string {
  return (
    `<ds:Signature xmlns:ds="${NS_DS}">${signedInfo}` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${signer.certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</ds:Signature>'
  );
}

function compose(input: SamlResponseInput, options: SamlEmitOptions): Draft {
  const issues: string[] = [];
  const sign = options.sign ?? 'assertion';
  if (sign !== 'assertion' && sign !== 'response' && sign !== 'both') {
    issues.push(`options.sign must be 'assertion', 'response' or 'both'`);
  }
  const typed = (options.attributeValueType ?? 'untyped') === 'xs:string';

  const responseId = id(input.responseId, 'responseId', issues);
  const assertionId = id(input.assertionId, 'assertionId', issues);
  if (responseId === assertionId) issues.push('responseId and assertionId must differ');

  const issueInstant = instant(input.issueInstant, 'issueInstant', issues);
  const destination = required(input.destination, 'destination', issues);
  const issuer = canonicalText(required(input.issuer, 'issuer', issues), 'issuer');
  const inResponseTo =
    input.inResponseTo === undefined
      ? ''
      : ` InResponseTo="${canonicalAttribute(required(input.inResponseTo, 'inResponseTo', issues), 'inResponseTo')}"`;

  const assertion = composeAssertion(input, assertionId, issueInstant, issuer, inResponseTo, typed, issues);

  if (issues.length > 0) {
    throw new SamlEmitError('INVALID_INPUT', issues.join('; '));
  }

  const responseHead =
    `<samlp:Response xmlns:samlp="${NS_SAMLP}" Destination="${canonicalAttribute(destination, 'destination')}"` +
    ` ID="${responseId}"${inResponseTo} IssueInstant="${issueInstant}" Version="2.0">` +
    `<saml:Issuer xmlns:saml="${NS_SAML}">${issuer}</saml:Issuer>`;
  const status = `<samlp:Status><samlp:StatusCode Value="${STATUS_SUCCESS}"></samlp:StatusCode></samlp:Status>`;

  return {
    assertion,
    responseId,
    responseHead,
    status,
    prefixList: typed ? 'xs xsi' : '',
    signAssertion: sign !== 'response',
    signResponse: sign !== 'assertion',
    encrypter: options.encryptAssertion,
  };
}

function composeAssertion(
  input: SamlResponseInput,
  assertionId: string,
  issueInstant: string,
  issuer: string,
  inResponseTo: string,
  typed: boolean,
  issues: string[],
): Signable {
  const nameId = input.nameId ?? ({} as Partial<SamlNameId>);
  const nameIdAttributes =
    ` Format="${canonicalAttribute(required(nameId.format, 'nameId.format', issues), 'nameId.format')}"` +
    optionalAttribute('NameQualifier', nameId.nameQualifier, 'nameId.nameQualifier') +
    optionalAttribute('SPNameQualifier', nameId.spNameQualifier, 'nameId.spNameQualifier');
  const nameIdValue = canonicalText(required(nameId.value, 'nameId.value', issues), 'nameId.value');

  const confirmation = input.subjectConfirmation ?? ({} as Partial<SamlResponseInput['subjectConfirmation']>);
  const recipient = canonicalAttribute(
    required(confirmation.recipient, 'subjectConfirmation.recipient', issues),
    'subjectConfirmation.recipient',
  );
  const confirmationEnd = instant(confirmation.notOnOrAfter, 'subjectConfirmation.notOnOrAfter', issues);

  const conditions = input.conditions ?? ({} as Partial<SamlResponseInput['conditions']>);
  const notBefore = instant(conditions.notBefore, 'conditions.notBefore', issues);
  const notOnOrAfter = instant(conditions.notOnOrAfter, 'conditions.notOnOrAfter', issues);
  if (msOf(conditions.notBefore) >= msOf(conditions.notOnOrAfter)) {
    issues.push('conditions.notBefore must be earlier than conditions.notOnOrAfter');
  }
  let audiences = '';
  if (!Array.isArray(conditions.audiences) || conditions.audiences.length === 0) {
    issues.push('conditions.audiences must list at least one audience');
  } else {
    conditions.audiences.forEach((audience: string, i: number) => {
      const field = `conditions.audiences[${i}]`;
      audiences += `<saml:Audience>${canonicalText(required(audience, field, issues), field)}</saml:Audience>`;
    });
  }

  const authn = input.authnStatement ?? ({} as Partial<SamlResponseInput['authnStatement']>);
  const authnInstant = instant(authn.authnInstant, 'authnStatement.authnInstant', issues);
  const sessionIndex = optionalAttribute('SessionIndex', authn.sessionIndex, 'authnStatement.sessionIndex');
  const sessionEnd =
    authn.sessionNotOnOrAfter === undefined
      ? ''
      : ` SessionNotOnOrAfter="${instant(authn.sessionNotOnOrAfter, 'authnStatement.sessionNotOnOrAfter', issues)}"`;
  const classRef = canonicalText(
    required(authn.authnContextClassRef, 'authnStatement.authnContextClassRef', issues),
    'authnStatement.authnContextClassRef',
  );

  const valueOpen = typed ? '<saml:AttributeValue xsi:type="xs:string">' : '<saml:AttributeValue>';
  let attributeStatement = '';
  // SAML Core §2.7.3: an AttributeStatement must hold at least one Attribute, so none means no statement.
  if (input.attributes !== undefined && input.attributes.length > 0) {
    attributeStatement = '<saml:AttributeStatement>';
    input.attributes.forEach((attribute, i) => {
      const field = `attributes[${i}]`;
      attributeStatement +=
        '<saml:Attribute' +
        optionalAttribute('FriendlyName', attribute.friendlyName, `${field}.friendlyName`) +
        ` Name="${canonicalAttribute(required(attribute.name, `${field}.name`, issues), `${field}.name`)}"` +
        ` NameFormat="${canonicalAttribute(attribute.nameFormat ?? ATTRNAME_FORMAT_URI, `${field}.nameFormat`)}">`;
      if (!Array.isArray(attribute.values)) {
        issues.push(`${field}.values must be an array of strings`);
      } else {
        attribute.values.forEach((value: unknown, j: number) => {
          const valueField = `${field}.values[${j}]`;
          if (typeof value !== 'string') {
            issues.push(`${valueField} must be a string`);
            return;
          }
          attributeStatement += valueOpen + canonicalText(value, valueField) + '</saml:AttributeValue>';
        });
      }
      attributeStatement += '</saml:Attribute>';
    });
    attributeStatement += '</saml:AttributeStatement>';
  }

  const namespaces = typed ? ` xmlns:saml="${NS_SAML}" xmlns:xs="${NS_XS}" xmlns:xsi="${NS_XSI}"` : ` xmlns:saml="${NS_SAML}"`;
  const head =
    `<saml:Assertion${namespaces} ID="${assertionId}" IssueInstant="${issueInstant}" Version="2.0">` +
    `<saml:Issuer>${issuer}</saml:Issuer>`;
  const tail =
    `<saml:Subject><saml:NameID${nameIdAttributes}>${nameIdValue}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${CM_BEARER}">` +
    `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${confirmationEnd}" Recipient="${recipient}">` +
    '</saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction>${audiences}</saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${authnInstant}"${sessionIndex}${sessionEnd}>` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${classRef}</saml:AuthnContextClassRef></saml:AuthnContext>` +
    '</saml:AuthnStatement>' +
    attributeStatement +
    '</saml:Assertion>';
  return { id: assertionId, head, tail };
}

function id(value: string | undefined, field: string, issues: string[]): string {
  if (value === undefined) return newSamlId();
  if (typeof value !== 'string' || !isSafeSamlId(value)) {
    issues.push(`${field} must start with a letter or '_' and contain only letters, digits, '_', '-' or '.'`);
    return '';
  }
  return value;
}

/** Returns the string, recording an issue when it is missing or blank. */
function required(value: unknown, field: string, issues: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push(`${field} must be a non-empty string`);
    return '';
  }
  return value;
}

function optionalAttribute(name: string, value: string | undefined, field: string): string {
  return value === undefined ? '' : ` ${name}="${canonicalAttribute(value, field)}"`;
}

function msOf(value: unknown): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
}

// xs:dateTime in UTC with a 'Z' (SAML Core §1.3.3); years outside 0000-9999 would need a sign.
const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function instant(value: unknown, field: string, issues: string[]): string {
  const ms = msOf(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_INSTANT_MS) {
    issues.push(`${field} must be a valid Date or epoch milliseconds between 1970 and 9999`);
    return '';
  }
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}
