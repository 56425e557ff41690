/**
 * Every refused request: an error page that names the relying party and what was wrong, an
 * audit record with the reason, a log line without the message, and never a SAMLResponse.
 * The requests are built by node-saml where it can produce them, by hand for what it will not.
 */
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAML } from '@node-saml/node-saml';
import { TestBrowser } from '../../support/http-client.js';
import { authnRequestPath, authnRequestPost, authnRequestXml, nodeSamlSp, redirectQuery, rpConfig, signIn, spIdentity, startIdp, type IdpHost, type TestSp } from './support.js';

const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

let idp: IdpHost;
let strict: TestSp;
let open: TestSp;
const strictId = spIdentity('strict-app');
const openId = spIdentity('open-app');

beforeAll(async () => {
  // A small message cap, so an oversized query reaches our check before Node's 16 KB header limit.
  idp = await startIdp({
    maxMessageBytes: 4096,
    relyingParties: [
      rpConfig(strictId, { requireSignedRequests: true, acs: [{ url: strictId.acs }, { url: `${strictId.acs}/2`, index: 5 }] }),
      rpConfig(openId, { cert: undefined }),
    ],
  });
  strict = nodeSamlSp(idp, strictId.name, { signed: true });
  open = nodeSamlSp(idp, openId.name);
});
afterAll(async () => {
  await idp.close();
});

async function expectRefused(res: Response, reason: string, words: RegExp, rp?: string): Promise<void> {
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(html).not.toContain('SAMLResponse');
  expect(html).toMatch(words);
  if (rp) expect(html).toContain(`Relying party “${rp}”`);
  const rows = await idp.auditRows();
  const row = rows.filter((r) => r.event === 'saml-request').at(-1);
  expect(row).toMatchObject({ result: 'denied', deny_reason: reason, relying_party: rp ?? null });
  const last = idp.logs.filter((l) => l.includes('SAML request refused')).at(-1) ?? '';
  expect(last).toContain(reason);
  expect(last).not.toMatch(/AuthnRequest|SAMLRequest=/);
}

const sso = (q: string) => `/saml/idp/sso?${q}`;
const sign256 = () => ({ keyPem: strictId.keys.keyPem, alg: 'sha256' as const, uri: RSA_SHA256 });

describe('AuthnRequests the IdP refuses', () => {
  it('a foreign AssertionConsumerServiceURL', async () => {
    const xml = authnRequestXml({ issuer: openId.entityId, acs: 'https://evil.example.test/acs' });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(xml))), 'FOREIGN_ACS', /evil\.example\.test\/acs is not registered/, 'open-app');
  });

  it('an ACS index the RP does not have, and index together with a URL', async () => {
    const xml = authnRequestXml({ issuer: openId.entityId, extra: '' }).replace('ProtocolBinding=', 'AssertionConsumerServiceIndex="9" ProtocolBinding=');
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(xml))), 'FOREIGN_ACS', /AssertionConsumerServiceIndex/, 'open-app');
  });

  it('an unknown issuer', async () => {
    const xml = authnRequestXml({ issuer: 'https://stranger.example.test/sp' });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(xml))), 'UNKNOWN_ISSUER', /stranger\.example\.test\/sp(&quot;)? is not a configured relying party/);
  });

  it('an unsigned request from an RP that must sign', async () => {
    const xml = authnRequestXml({ issuer: strictId.entityId });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(xml))), 'SIGNATURE_REQUIRED', /not signed/, 'strict-app');
  });

  it('a request signed with RSA-SHA1', async () => {
    const xml = authnRequestXml({ issuer: strictId.entityId, destination: `${idp.base}/sso` });
    const q = redirectQuery(xml, { sign: { keyPem: strictId.keys.keyPem, alg: 'sha1', uri: RSA_SHA1 } });
    await expectRefused(await new TestBrowser(idp.url).get(sso(q)), 'WEAK_ALGORITHM', /signed with .{0,60}rsa-sha1.{0,12} \(SHA-1\)/, 'strict-app');
  });

  it('node-saml configured for SHA-1 is refused too', async () => {
    const sha1 = new SAML({ ...strict.saml.options, signatureAlgorithm: 'sha1', privateKey: strictId.keys.keyPem, idpCert: idp.idpCertPem });
    const url = new URL(await sha1.getAuthorizeUrlAsync('', undefined, {}));
    await expectRefused(await new TestBrowser(idp.url).get(url.pathname + url.search), 'WEAK_ALGORITHM', /\(SHA-1\)/, 'strict-app');
  });

  it('a signature by another key, and a tampered signed request', async () => {
    const xml = authnRequestXml({ issuer: strictId.entityId, destination: `${idp.base}/sso` });
    const other = redirectQuery(xml, { sign: { ...sign256(), keyPem: openId.keys.keyPem } });
    await expectRefused(await new TestBrowser(idp.url).get(sso(other)), 'SIGNATURE_INVALID', /no pinned certificate verifies the query signature/, 'strict-app');
    const good = new URL(await strict.saml.getAuthorizeUrlAsync('relay', undefined, {}));
    const tampered = good.search.replace('RelayState=relay', 'RelayState=other');
    await expectRefused(await new TestBrowser(idp.url).get(`/saml/idp/sso${tampered}`), 'SIGNATURE_INVALID', /no pinned certificate verifies the query signature/, 'strict-app');
  });

  it('a deflate bomb', async () => {
    // 2 MB of spaces deflate to about 2 KB: under the message cap, 16 times the inflate cap.
    const bomb = deflateRawSync(Buffer.alloc(2 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(3 * 1024);
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery('', { raw: bomb }))), 'DEFLATE_BOMB', /inflates beyond/);
  });

  it('a DOCTYPE with an external entity (XXE) and an entity expansion', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + authnRequestXml({ issuer: '&x;' });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(xxe))), 'DOCTYPE', /DOCTYPE/);
    const laughs = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + authnRequestXml({ issuer: openId.entityId });
    const b = new TestBrowser(idp.url);
    await expectRefused(await b.post('/saml/idp/sso', { SAMLRequest: Buffer.from(laughs).toString('base64') }), 'DOCTYPE', /DOCTYPE/);
  });

  it('an oversized request, by query and by POST', async () => {
    const big = authnRequestXml({ issuer: openId.entityId, extra: `<!--${'x'.repeat(200_000)}-->` });
    const incompressible = Buffer.from(Array.from({ length: 5000 }, () => Math.floor(Math.random() * 256)));
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery('', { raw: incompressible }))), 'TOO_LARGE', /limit is/);
    await expectRefused(await new TestBrowser(idp.url).post('/saml/idp/sso', { SAMLRequest: Buffer.from(big).toString('base64') }), 'TOO_LARGE', /larger than allowed|limit is/);
  });

  it('a replayed request id', async () => {
    const path = await authnRequestPath(open);
    const first = await new TestBrowser(idp.url).get(path);
    expect(first.status).toBe(303);
    await expectRefused(await new TestBrowser(idp.url).get(path), 'REPLAYED_REQUEST', /already used/, 'open-app');
  });

  it('a RelayState longer than 80 bytes', async () => {
    const path = await authnRequestPath(open, 'r'.repeat(81));
    await expectRefused(await new TestBrowser(idp.url).get(path), 'RELAY_STATE_TOO_LONG', /at most 80/, 'open-app');
  });

  it('a stale request and one addressed to another IdP', async () => {
    const old = authnRequestXml({ issuer: openId.entityId, instant: idp.clock.now() - 3_600_000 });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(old))), 'STALE_REQUEST', /outside the accepted window/, 'open-app');
    const elsewhere = authnRequestXml({ issuer: openId.entityId, instant: idp.clock.now(), destination: 'https://other-idp.example.test/sso' });
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery(elsewhere))), 'BAD_DESTINATION', /other-idp\.example\.test/, 'open-app');
  });

  it('a LogoutRequest posted to the SSO endpoint, and garbage', async () => {
    await expectRefused(await new TestBrowser(idp.url).get(sso(redirectQuery('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'))), 'WRONG_MESSAGE', /expected a AuthnRequest/);
    await expectRefused(await new TestBrowser(idp.url).get(sso('SAMLRequest=%%%')), 'BAD_ENCODING', /URL encoding|base64/);
  });

  it('IdP-initiated sign-in is off unless the RP enables it', async () => {
    await expectRefused(await new TestBrowser(idp.url).get('/saml/idp/sso?rp=open-app'), 'IDP_INITIATED_DISABLED', /not enabled/, 'open-app');
  });
});

describe('XML-signed requests (HTTP-POST binding)', () => {
  const post = async (fields: Record<string, string>) => new TestBrowser(idp.url).post('/saml/idp/sso', fields);
  const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
  const xmlOf = (fields: Record<string, string>) => Buffer.from(fields.SAMLRequest!, 'base64').toString('utf8');

  it('accepts an enveloped RSA-SHA256 signature by the RP’s key and refuses it after one changed character', async () => {
    const sp = nodeSamlSp(idp, strictId.name, { signed: true, postBinding: true });
    const fields = await authnRequestPost(sp);
    expect(xmlOf(fields)).toContain('<Signature');
    expect((await post(fields)).status).toBe(303);
    const again = await authnRequestPost(sp);
    const tampered = xmlOf(again).replace(strictId.acs, `${strictId.acs}/2`);
    await expectRefused(await post({ ...again, SAMLRequest: b64(tampered) }), 'SIGNATURE_INVALID', /digest does not match the signed content/, 'strict-app');
  });

  it('refuses a SHA-1 digest inside an otherwise SHA-256 signature', async () => {
    const sp = nodeSamlSp(idp, strictId.name, { signed: true, digest: 'sha1', postBinding: true });
    await expectRefused(await post(await authnRequestPost(sp)), 'WEAK_ALGORITHM', /xmldsig#sha1/, 'strict-app');
  });

  it('refuses signature wrapping: a signed request hidden inside a forged one, or a duplicated ID', async () => {
    const sp = nodeSamlSp(idp, strictId.name, { signed: true, postBinding: true });
    const signed = xmlOf(await authnRequestPost(sp));
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(signed)![0];
    const forged = authnRequestXml({ id: '_forged', issuer: strictId.entityId, acs: 'https://evil.example.test/acs', destination: `${idp.base}/sso`, instant: idp.clock.now() })
      .replace('</saml:Issuer>', `</saml:Issuer>${signature}<samlp:Extensions>${signed.replace(/^<\?xml[^>]*>/, '')}</samlp:Extensions>`);
    await expectRefused(await post({ SAMLRequest: b64(forged) }), 'SIGNATURE_WRAPPING', /a second AuthnRequest at \/AuthnRequest\/Extensions\/AuthnRequest/, 'strict-app');
    const id = /ID="([^"]+)"/.exec(signed)![1]!;
    const duplicate = signed.replace('</samlp:AuthnRequest>', `<samlp:Extensions><x ID="${id}"></x></samlp:Extensions></samlp:AuthnRequest>`);
    await expectRefused(await post({ SAMLRequest: b64(duplicate) }), 'SIGNATURE_WRAPPING', /duplicate ID/, 'strict-app');
  });
});

describe('a valid request still works beside the attacks', () => {
  it('the strict RP signs in with its signed request at a registered index', async () => {
    const b = new TestBrowser(idp.url);
    const { form } = await signIn(idp, b, await authnRequestPath(strict));
    expect(form.action).toBe(strictId.acs);
    const { profile } = await strict.saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    expect(profile?.nameID).toBe('alice');
  });
});
