/**
 * The SAML core's inbound-request table on its own, without a host: what it hands the IdP is
 * read from the signed bytes, a certificate that cannot verify is a refusal (never a crash),
 * and times are SAML UTC instants only. The attack cases through a running IdP are in
 * test/saml/request-attacks/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOUND_REQUEST_CHECKS, NS_DS, childElements, verifyInboundRequest, type RequestExpectations } from '../../src/saml/index.js';
import { ALG, requestXml, signedRequest, type RequestSpec } from './request-attacks/support/signed-request.js';
import { makeTestKeys, type TestKeys } from './support/test-keys.js';

const NOW = Date.UTC(2026, 2, 2, 10, 0, 0);
const SP = 'https://app.example.test/sp';
const SSO = 'https://mfa.example.test/saml/idp/sso';
let keys: TestKeys;
let ecDir: string;
let ecCert: string;

beforeAll(() => {
  keys = makeTestKeys('verify-request-sp');
  ecDir = mkdtempSync(join(tmpdir(), 'factorgate-ec-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=ec-sp', '-days', '2', '-keyout', join(ecDir, 'key.pem'), '-out', join(ecDir, 'cert.pem')], { stdio: 'ignore' });
  ecCert = readFileSync(join(ecDir, 'cert.pem'), 'utf8');
});
afterAll(() => {
  keys.cleanup();
  rmSync(ecDir, { recursive: true, force: true });
});

const spec = (overrides: Partial<RequestSpec> = {}): RequestSpec => ({ kind: 'AuthnRequest', id: '_req-1', issuer: SP, destination: SSO, instant: NOW, acs: 'https://app.example.test/acs', ...overrides });
const expectations = (certificates: string[], signatureRequired = true): RequestExpectations => ({
  kind: 'AuthnRequest',
  destination: SSO,
  maxAgeMs: 300_000,
  signerFor: (issuer) => (issuer === SP ? { certificates, signatureRequired } : undefined),
});

describe('the inbound request table', () => {
  it('runs its checks in this order', () => {
    expect(INBOUND_REQUEST_CHECKS.map((c) => c.name)).toEqual([
      'parse-request',
      'read-request-issuer',
      'check-request-shape',
      'verify-request-signature',
      'check-request-destination',
      'check-issue-instant',
    ]);
  });

  it('hands back the request parsed again from the signed bytes (the enveloped Signature is gone from it)', async () => {
    const xml = await signedRequest(spec(), keys);
    const result = verifyInboundRequest({ binding: 'post', xml }, expectations([keys.certPem]), NOW);
    expect(result).toMatchObject({ ok: true, kind: 'AuthnRequest', id: '_req-1', issuer: SP, issueInstant: NOW, signed: true });
    if (!result.ok) return;
    expect(xml).toContain('<ds:Signature');
    expect(childElements(result.root).some((el) => el.namespaceURI === NS_DS)).toBe(false);
    expect(result.root.ownerDocument.documentElement).toBe(result.root);
  });

  it('takes an HTTP-Redirect message whose query signature verifies, as received', () => {
    const xml = requestXml(spec(), false);
    const encoded = encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));
    const signedBytes = `SAMLRequest=${encoded}&SigAlg=${encodeURIComponent(ALG.rsaSha256)}`;
    const signature = sign('sha256', Buffer.from(signedBytes), keys.keyPem);
    const result = verifyInboundRequest({ binding: 'redirect', xml, querySignature: { sigAlg: ALG.rsaSha256, signature, signedBytes } }, expectations([keys.certPem]), NOW);
    expect(result).toMatchObject({ ok: true, signed: true });
    const forged = verifyInboundRequest({ binding: 'redirect', xml, querySignature: { sigAlg: ALG.rsaSha256, signature, signedBytes: `${signedBytes}&x` } }, expectations([keys.certPem]), NOW);
    expect(forged).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID', issuer: SP });
  });

  it('refuses, without throwing, when the configured certificate is not an RSA key of 2048 bits or more', async () => {
    const xml = await signedRequest(spec(), keys);
    expect(verifyInboundRequest({ binding: 'post', xml }, expectations([ecCert]), NOW)).toEqual({
      ok: false,
      reason: 'SIGNATURE_INVALID',
      detail: 'the request is signed, but the relying party: pinned certificate 0 is not an RSA key of at least 2048 bits',
      issuer: SP,
    });
  });

  it('names an unknown issuer, and lets an unsigned request through only when the sender need not sign', () => {
    const stranger = verifyInboundRequest({ binding: 'post', xml: requestXml(spec({ issuer: 'https://stranger.example.test' }), false) }, expectations([keys.certPem]), NOW);
    expect(stranger).toMatchObject({ ok: false, reason: 'UNKNOWN_ISSUER', issuer: 'https://stranger.example.test' });
    const unsigned = requestXml(spec(), false);
    expect(verifyInboundRequest({ binding: 'post', xml: unsigned }, expectations([keys.certPem]), NOW)).toMatchObject({ ok: false, reason: 'SIGNATURE_REQUIRED' });
    expect(verifyInboundRequest({ binding: 'post', xml: unsigned }, expectations([], false), NOW)).toMatchObject({ ok: true, signed: false });
  });

  it('reads IssueInstant as a SAML UTC instant only, and bounds its age', () => {
    const withInstant = (instant: string) => requestXml(spec(), false).replace(/IssueInstant="[^"]+"/, `IssueInstant="${instant}"`);
    const run = (xml: string) => verifyInboundRequest({ binding: 'post', xml }, expectations([], false), NOW);
    expect(run(withInstant('2026-03-02T11:00:00+01:00'))).toMatchObject({ ok: false, reason: 'MALFORMED_XML', detail: expect.stringContaining('is not a UTC instant') });
    expect(run(withInstant('2026-02-31T10:00:00Z'))).toMatchObject({ ok: false, reason: 'MALFORMED_XML' });
    expect(run(withInstant('2026-03-02T09:54:59Z'))).toMatchObject({ ok: false, reason: 'STALE_REQUEST' });
    expect(run(withInstant('2026-03-02T10:04:59.500Z'))).toMatchObject({ ok: true });
  });

  it('tells an absent Destination from a wrong one, and requires it when signed', async () => {
    const run = (xml: string) => verifyInboundRequest({ binding: 'post', xml }, expectations([], false), NOW);
    expect(run(requestXml(spec(), false).replace(/ Destination="[^"]+"/, ''))).toMatchObject({ ok: true });
    expect(run(requestXml(spec({ destination: 'https://other.example.test/sso' }), false))).toMatchObject({ ok: false, reason: 'BAD_DESTINATION' });
    const signedWithout = await signedRequest(spec({ destination: '' }), keys);
    expect(verifyInboundRequest({ binding: 'post', xml: signedWithout }, expectations([keys.certPem]), NOW)).toMatchObject({ ok: false, reason: 'BAD_DESTINATION', detail: 'the signed AuthnRequest has no Destination' });
  });
});
