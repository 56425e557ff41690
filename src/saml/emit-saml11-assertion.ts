/**
 * Emits a signed SAML 1.1 `saml:Assertion` (OASIS SAML 1.1, cs-sstc-core §2.3.2), the token
 * WS-Federation passive relying parties (Entra ID, SharePoint) expect inside the RSTR, on the
 * same canonical path as the SAML 2.0 emitter (`emit-response.ts`): every element is written
 * already in exclusive C14N form, so the Reference digest is the SHA-256 of the written bytes
 * with the Signature left out. The same rules hold: the Assertion declares `saml` itself, no
 * other namespace is written, attributes in canonical order (unqualified, by local name), no
 * self-closing tags, no whitespace between elements, values escaped by `xml-escape.ts`.
 *
 * SAML 1.1 differs from 2.0 where it matters here: the ID attribute is `AssertionID`, the
 * issuer an attribute, and `ds:Signature` comes last in the Assertion (schema sequence:
 * Conditions, Advice, statements, Signature), so the signature is spliced before the end tag.
 */
import { SamlEmitError } from './emit-error.js';
import { signCanonicalElement, type SamlInstant } from './emit-response.js';
import { isSafeSamlId, newSamlId } from './saml-id.js';
import type { SamlSigner } from './signer.js';
import { canonicalAttribute, canonicalText } from './xml-escape.js';

export const NS_SAML11 = 'urn:oasis:names:tc:SAML:1.0:assertion';
/** Bearer subject confirmation (SAML 1.1 Bindings and Profiles §4.1.1.1 lists the methods). */
export const SAML11_CM_BEARER = 'urn:oasis:names:tc:SAML:1.0:cm:bearer';
/** SAML 1.1 core §7.1: password authentication. */
export const SAML11_AM_PASSWORD = 'urn:oasis:names:tc:SAML:1.0:am:password';

export interface Saml11Attribute {
  /** `AttributeName`, e.g. `UPN`. */
  name: string;
  /** `AttributeNamespace`, e.g. `http://schemas.xmlsoap.org/claims`. */
  namespace: string;
  values: readonly string[];
}

export interface Saml11AssertionInput {
  /** Defaults to a fresh random ID. */
  assertionId?: string;
  issuer: string;
  issueInstant: SamlInstant;
  conditions: { notBefore: SamlInstant; notOnOrAfter: SamlInstant; audiences: readonly string[] };
  nameIdentifier: { value: string; format?: string; nameQualifier?: string };
  /** Written as an AttributeStatement; attributes without values are refused (the schema needs one). */
  attributes: readonly Saml11Attribute[];
  authentication: { method: string; instant: SamlInstant };
}

export interface SignedSaml11Assertion {
  assertionId: string;
  /** The signed Assertion in canonical form, to embed in a canonical RSTR. */
  canonical: string;
}

/** Builds the Assertion and signs it (RSA on the libuv threadpool). */
export async function buildSignedSaml11Assertion(input: Saml11AssertionInput, signer: SamlSigner): Promise<SignedSaml11Assertion> {
  const issues: string[] = [];
  const assertionId = input.assertionId === undefined ? newSamlId() : input.assertionId;
  if (!isSafeSamlId(assertionId)) issues.push("assertionId must start with a letter or '_' and contain only letters, digits, '_', '-' or '.'");
  const issuer = canonicalAttribute(required(input.issuer, 'issuer', issues), 'issuer');
  const issueInstant = instant(input.issueInstant, 'issueInstant', issues);

  const c = input.conditions ?? ({} as Partial<Saml11AssertionInput['conditions']>);
  const notBefore = instant(c.notBefore, 'conditions.notBefore', issues);
  const notOnOrAfter = instant(c.notOnOrAfter, 'conditions.notOnOrAfter', issues);
  if (msOf(c.notBefore) >= msOf(c.notOnOrAfter)) issues.push('conditions.notBefore must be earlier than conditions.notOnOrAfter');
  let audiences = '';
  if (!Array.isArray(c.audiences) || c.audiences.length === 0) issues.push('conditions.audiences must list at least one audience');
  else c.audiences.forEach((a: string, i: number) => (audiences += `<saml:Audience>${canonicalText(required(a, `conditions.audiences[${i}]`, issues), `conditions.audiences[${i}]`)}</saml:Audience>`));

  const subject = subjectElement(input.nameIdentifier, issues);

  let attributes = '';
  (input.attributes ?? []).forEach((a, i) => {
    const field = `attributes[${i}]`;
    if (!Array.isArray(a.values) || a.values.length === 0) {
      issues.push(`${field}.values must hold at least one value`);
      return;
    }
    attributes +=
      `<saml:Attribute AttributeName="${canonicalAttribute(required(a.name, `${field}.name`, issues), `${field}.name`)}"` +
      ` AttributeNamespace="${canonicalAttribute(required(a.namespace, `${field}.namespace`, issues), `${field}.namespace`)}">`;
    a.values.forEach((v: unknown, j: number) => {
      if (typeof v !== 'string') issues.push(`${field}.values[${j}] must be a string`);
      else attributes += `<saml:AttributeValue>${canonicalText(v, `${field}.values[${j}]`)}</saml:AttributeValue>`;
    });
    attributes += '</saml:Attribute>';
  });

  const authn = input.authentication ?? ({} as Partial<Saml11AssertionInput['authentication']>);
  const authnInstant = instant(authn.instant, 'authentication.instant', issues);
  const authnMethod = canonicalAttribute(required(authn.method, 'authentication.method', issues), 'authentication.method');

  if (issues.length > 0) throw new SamlEmitError('INVALID_INPUT', issues.join('; '));

  // SAML 1.1 core §2.4.3: an AttributeStatement needs one Attribute; none means no statement.
  const attributeStatement = attributes === '' ? '' : `<saml:AttributeStatement>${subject}${attributes}</saml:AttributeStatement>`;
  const head =
    `<saml:Assertion xmlns:saml="${NS_SAML11}" AssertionID="${assertionId}" IssueInstant="${issueInstant}" Issuer="${issuer}" MajorVersion="1" MinorVersion="1">` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestrictionCondition>${audiences}</saml:AudienceRestrictionCondition></saml:Conditions>` +
    attributeStatement +
    `<saml:AuthenticationStatement AuthenticationInstant="${authnInstant}" AuthenticationMethod="${authnMethod}">${subject}</saml:AuthenticationStatement>`;
  const canonical = await signCanonicalElement({ id: assertionId, head, tail: '</saml:Assertion>' }, signer);
  return { assertionId, canonical };
}

function subjectElement(nameIdentifier: Saml11AssertionInput['nameIdentifier'] | undefined, issues: string[]): string {
  const n = nameIdentifier ?? ({} as Partial<Saml11AssertionInput['nameIdentifier']>);
  const value = canonicalText(required(n.value, 'nameIdentifier.value', issues), 'nameIdentifier.value');
  const format = n.format === undefined ? '' : ` Format="${canonicalAttribute(n.format, 'nameIdentifier.format')}"`;
  const qualifier = n.nameQualifier === undefined ? '' : ` NameQualifier="${canonicalAttribute(n.nameQualifier, 'nameIdentifier.nameQualifier')}"`;
  return (
    `<saml:Subject><saml:NameIdentifier${format}${qualifier}>${value}</saml:NameIdentifier>` +
    `<saml:SubjectConfirmation><saml:ConfirmationMethod>${SAML11_CM_BEARER}</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject>`
  );
}

function required(value: unknown, field: string, issues: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push(`${field} must be a non-empty string`);
    return '';
  }
  return value;
}

function msOf(value: unknown): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
}

const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** xs:dateTime in UTC with a 'Z' (SAML 1.1 core §1.3.3), whole seconds when there are no milliseconds. */
export function samlDateTime(value: unknown, field: string, issues: string[]): string {
  const ms = msOf(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_INSTANT_MS) {
    issues.push(`${field} must be a valid Date or epoch milliseconds between 1970 and 9999`);
    return '';
  }
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}

const instant = samlDateTime;
