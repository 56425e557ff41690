import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import type { XmlElement as Element } from '../../src/xml/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kit/clock.js';
import { SamlEmitError } from '../../src/saml/emit-error.js';
import {
  buildSignedResponse,
  buildSignedResponseSync,
  type SamlEmitOptions,
  type SamlResponseInput,
} from '../../src/saml/emit-response.js';
import { newSamlId } from '../../src/saml/saml-id.js';
import { SamlSigner } from '../../src/saml/signer.js';
import {
  nodeSamlAccepts,
  pythonSpResults,
  xmlCryptoVerifies,
  xmlsecVerifies,
  type SignedTarget,
  type SpExpectations,
} from './support/peers.js';
import { SAMPLE_ACS, SAMPLE_IDP, SAMPLE_REQUEST_ID, SAMPLE_SP, sampleInput } from './support/sample-input.js';
import { makeTestKeys } from './support/test-keys.js';

const keys = makeTestKeys();
afterAll(() => keys.cleanup());
const signer = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem });
let fileCounter = 0;

function sp(signed: NonNullable<SamlEmitOptions['sign']>, requestId: string | null = SAMPLE_REQUEST_ID): SpExpectations {
  return {
    certPem: keys.certPem,
    certPath: keys.certPath,
    idpEntityId: SAMPLE_IDP,
    audience: SAMPLE_SP,
    acs: SAMPLE_ACS,
    signed,
    ...(requestId === null ? {} : { requestId }),
  };
}

async function xmlsec(xml: string, target: SignedTarget): Promise<boolean> {
  const path = join(keys.dir, `emit-${++fileCounter}.xml`);
  writeFileSync(path, xml);
  return xmlsecVerifies(path, keys.certPath, target);
}

function children(el: Element): string[] {
  const names: string[] = [];
  for (let n = el.firstChild; n !== null; n = n.nextSibling) names.push(n.nodeName);
  return names;
}

function caught(fn: () => unknown): SamlEmitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SamlEmitError);
    return err as SamlEmitError;
  }
  throw new Error('expected an error');
}

describe('buildSignedResponse', () => {
  const now = systemClock.now();

  it('lays out Response and Assertion in SAML Core schema order with signatures after the Issuers', () => {
    const xml = buildSignedResponseSync(sampleInput(now), signer, { sign: 'both' });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const response = doc.documentElement!;
    expect(children(response)).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:Assertion']);
    const assertion = response.getElementsByTagName('saml:Assertion')[0]!;
    expect(children(assertion)).toEqual([
      'saml:Issuer',
      'ds:Signature',
      'saml:Subject',
      'saml:Conditions',
      'saml:AuthnStatement',
      'saml:AttributeStatement',
    ]);
    expect(response.getAttribute('Version')).toBe('2.0');
    expect(response.getAttribute('ID')).toMatch(/^_[0-9a-f]{40}$/);
    expect(assertion.getAttribute('ID')).toMatch(/^_[0-9a-f]{40}$/);
    expect(xml).not.toMatch(/\/>/);
    expect(xml).not.toMatch(/>\s+</);
  });

  for (const sign of ['assertion', 'response', 'both'] as const) {
    for (const attributeValueType of ['untyped', 'xs:string'] as const) {
      it(`signs the ${sign === 'both' ? 'assertion and response' : sign} (${attributeValueType} values) so that all five peers accept it`, async () => {
        const input = sampleInput(now);
        const xml = await buildSignedResponse(input, signer, { sign, attributeValueType });
        const targets: SignedTarget[] = sign === 'both' ? ['assertion', 'response'] : [sign];
        for (const target of targets) {
          expect(await xmlsec(xml, target), `xmlsec1 ${target}`).toBe(true);
          expect(xmlCryptoVerifies(xml, keys.certPem, target), `xml-crypto ${target}`).not.toBeNull();
        }
        const expectedAttributes = Object.fromEntries(input.attributes!.map((a) => [a.name, [...a.values]]));
        const nodeSaml = await nodeSamlAccepts(xml, sp(sign));
        expect(nodeSaml.error).toBeUndefined();
        expect(nodeSaml.nameId).toBe('alice@example.com');
        expect(nodeSaml.attributes).toEqual(expectedAttributes);
        for (const peer of ['pysaml2', 'onelogin'] as const) {
          const [result] = await pythonSpResults(peer, [xml], sp(sign), keys.dir);
          expect(result, peer).toMatchObject({ ok: true, nameId: 'alice@example.com', issuer: SAMPLE_IDP });
          expect(result!.attributes, peer).toEqual(expectedAttributes);
        }
        if (attributeValueType === 'xs:string') {
          expect(xml).toContain('<saml:AttributeValue xsi:type="xs:string">');
          expect(xml).toContain('PrefixList="xs xsi"');
        } else {
          expect(xml).not.toContain('xsi:');
          expect(xml).not.toContain('InclusiveNamespaces');
        }
      });
    }
  }

  it('omits InResponseTo for an IdP-initiated response, which the SPs accept when unsolicited', async () => {
    const input: SamlResponseInput = { ...sampleInput(now) };
    delete input.inResponseTo;
    const xml = buildSignedResponseSync(input, signer);
    expect(xml).not.toContain('InResponseTo');
    expect(await xmlsec(xml, 'assertion')).toBe(true);
    expect((await nodeSamlAccepts(xml, sp('assertion', null))).ok).toBe(true);
    const [result] = await pythonSpResults('pysaml2', [xml], sp('assertion', null), keys.dir);
    expect(result!.ok).toBe(true);
  });

  it('writes optional NameID qualifiers, several audiences, SessionNotOnOrAfter and FriendlyName', async () => {
    const input = sampleInput(now);
    input.nameId = { ...input.nameId, nameQualifier: SAMPLE_IDP, spNameQualifier: SAMPLE_SP };
    input.conditions = { ...input.conditions, audiences: ['urn:other', SAMPLE_SP] };
    input.authnStatement = { ...input.authnStatement, sessionNotOnOrAfter: now + 8 * 3600_000 };
    const xml = buildSignedResponseSync(input, signer);
    expect(xml).toContain(
      `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" NameQualifier="${SAMPLE_IDP}" SPNameQualifier="${SAMPLE_SP}">`,
    );
    expect(xml).toContain(`<saml:Audience>urn:other</saml:Audience><saml:Audience>${SAMPLE_SP}</saml:Audience>`);
    expect(xml).toMatch(/ SessionIndex="_session-1" SessionNotOnOrAfter="/);
    expect(xml).toContain('<saml:Attribute FriendlyName="amr" Name=');
    expect(await xmlsec(xml, 'assertion')).toBe(true);
    expect(xmlCryptoVerifies(xml, keys.certPem, 'assertion')).not.toBeNull();
    expect((await nodeSamlAccepts(xml, sp('assertion'))).ok).toBe(true);
  });

  it('writes no AttributeStatement when there are no attributes (SAML Core §2.7.3)', async () => {
    const xml = buildSignedResponseSync({ ...sampleInput(now), attributes: [] }, signer);
    expect(xml).not.toContain('AttributeStatement');
    expect(await xmlsec(xml, 'assertion')).toBe(true);
  });

  it('formats instants as UTC xs:dateTime, the same for a Date and epoch milliseconds', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const fromMs = buildSignedResponseSync({ ...sampleInput(at), responseId: '_r', assertionId: '_a' }, signer);
    const fromDate = buildSignedResponseSync(
      { ...sampleInput(at), issueInstant: new Date(at), responseId: '_r', assertionId: '_a' },
      signer,
    );
    expect(fromMs).toBe(fromDate);
    expect(fromMs).toContain('IssueInstant="2026-01-02T03:04:05Z"');
    const withMs = buildSignedResponseSync({ ...sampleInput(at + 7), responseId: '_r', assertionId: '_a' }, signer);
    expect(withMs).toContain('IssueInstant="2026-01-02T03:04:05.007Z"');
  });

  it('uses the caller-supplied IDs and refuses unsafe ones', () => {
    const xml = buildSignedResponseSync({ ...sampleInput(now), responseId: 'R1', assertionId: '_A-1.x' }, signer);
    expect(xml).toContain(' ID="R1"');
    expect(xml).toContain('<ds:Reference URI="#_A-1.x">');
    for (const bad of ['1abc', '', 'a b', 'a"b', '#a', 'é']) {
      expect(caught(() => buildSignedResponseSync({ ...sampleInput(now), assertionId: bad }, signer)).reason).toBe(
        'INVALID_INPUT',
      );
    }
    expect(
      caught(() => buildSignedResponseSync({ ...sampleInput(now), responseId: '_x', assertionId: '_x' }, signer)).message,
    ).toContain('must differ');
  });

  it('refuses an empty issuer, audience or NameID and reports every problem at once', () => {
    const input = sampleInput(now);
    input.issuer = ' ';
    input.conditions = { ...input.conditions, audiences: [''] };
    input.nameId = { ...input.nameId, value: '' };
    const err = caught(() => buildSignedResponseSync(input, signer));
    expect(err.reason).toBe('INVALID_INPUT');
    expect(err.message).toContain('issuer must be a non-empty string');
    expect(err.message).toContain('conditions.audiences[0] must be a non-empty string');
    expect(err.message).toContain('nameId.value must be a non-empty string');
    expect(caught(() => buildSignedResponseSync({ ...input, conditions: { ...input.conditions, audiences: [] } }, signer)).message)
      .toContain('conditions.audiences must list at least one audience');
  });

  it('refuses invalid times and an empty validity window', () => {
    const input = sampleInput(now);
    const bad = (patch: Partial<SamlResponseInput>) => caught(() => buildSignedResponseSync({ ...input, ...patch }, signer));
    expect(bad({ issueInstant: Number.NaN }).message).toContain('issueInstant must be a valid Date');
    expect(bad({ issueInstant: new Date('nonsense') }).message).toContain('issueInstant must be a valid Date');
    expect(bad({ issueInstant: '2026-01-01' as unknown as number }).message).toContain('issueInstant');
    expect(bad({ conditions: { ...input.conditions, notBefore: now, notOnOrAfter: now } }).message).toContain(
      'conditions.notBefore must be earlier than conditions.notOnOrAfter',
    );
  });

  it('refuses characters XML forbids anywhere in the input, naming the field', () => {
    const cases: Array<[string, (i: SamlResponseInput) => void]> = [
      ['nameId.value', (i) => (i.nameId = { ...i.nameId, value: 'al\u0000ice' })],
      ['attributes[2].values[1]', (i) => (i.attributes = [...i.attributes!.slice(0, 2), { name: 'x', values: ['ok', 'a\u0001'] }])],
      ['attributes[0].name', (i) => (i.attributes = [{ name: 'n\uffff', values: [] }])],
      ['issuer', (i) => (i.issuer = 'https://idp\ud800')],
      ['subjectConfirmation.recipient', (i) => (i.subjectConfirmation = { ...i.subjectConfirmation, recipient: 'x\u001b' })],
    ];
    for (const [field, mutate] of cases) {
      const input = sampleInput(now);
      mutate(input);
      const err = caught(() => buildSignedResponseSync(input, signer));
      expect(err.reason).toBe('FORBIDDEN_CHARACTER');
      expect(err.message).toContain(field);
      expect(err.message).toContain('XML 1.0 forbids');
    }
  });

  it('carries U+0085, U+2028 and U+2029 as references that xmlsec1, xml-crypto and pysaml2 accept', async () => {
    const input = sampleInput(now);
    input.nameId = { ...input.nameId, value: 'a\u0085b\u2028c\u2029d' };
    input.attributes = [{ name: 'n\u2028', values: ['x\u2029y\u0085'] }];
    for (const sign of ['assertion', 'both'] as const) {
      const xml = buildSignedResponseSync(input, signer, { sign });
      expect(xml).not.toMatch(/[\u0085\u2028\u2029]/);
      expect(xml).toContain('a&#x85;b&#x2028;c&#x2029;d');
      expect(await xmlsec(xml, 'assertion')).toBe(true);
      expect(xmlCryptoVerifies(xml, keys.certPem, 'assertion')).not.toBeNull();
      const [result] = await pythonSpResults('pysaml2', [xml], sp(sign), keys.dir);
      expect(result).toMatchObject({ ok: true, nameId: 'a\u0085b\u2028c\u2029d', attributes: { 'n\u2028': ['x\u2029y\u0085'] } });
    }
  });

  it('keeps many signatures in flight on the threadpool, each document valid', async () => {
    const xmls = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        buildSignedResponse({ ...sampleInput(now), nameId: { ...sampleInput(now).nameId, value: `user${i}` } }, signer, {
          sign: i % 2 === 0 ? 'assertion' : 'both',
        }),
      ),
    );
    for (const [i, xml] of xmls.entries()) {
      expect(xml).toContain(`>user${i}</saml:NameID>`);
      expect(xmlCryptoVerifies(xml, keys.certPem, 'assertion')).not.toBeNull();
      if (i % 2 === 1) expect(xmlCryptoVerifies(xml, keys.certPem, 'response')).not.toBeNull();
    }
  });

  it('signs with RSA-SHA512 when the signer is set to it', async () => {
    const strong = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem, algorithm: 'rsa-sha512' });
    const xml = buildSignedResponseSync(sampleInput(now), strong, { sign: 'both' });
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"');
    for (const target of ['assertion', 'response'] as const) {
      expect(await xmlsec(xml, target)).toBe(true);
      expect(xmlCryptoVerifies(xml, keys.certPem, target)).not.toBeNull();
    }
    expect((await nodeSamlAccepts(xml, sp('both'))).ok).toBe(true);
  });
});

describe('newSamlId', () => {
  it('draws distinct 160-bit IDs that start with an underscore, across pool refills', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newSamlId()));
    expect(ids.size).toBe(5000);
    for (const id of ids) expect(id).toMatch(/^_[0-9a-f]{40}$/);
  });
});
