/**
 * What real SPs send still passes the SAML core's strict request checks: AuthnRequests and
 * LogoutRequests built and signed by pysaml2 and by OneLogin python3-saml (each with its own
 * layout, prefixes, canonicalisation and query encoding), over HTTP-Redirect (query signature)
 * and HTTP-POST (enveloped XML signature), from a relying party that must sign.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../../support/http-client.js';
import { rpConfig, spIdentity, startIdp, type IdpHost } from './support.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../saml/peers/signed-requests.py', import.meta.url));

interface LibraryRequests {
  authnRedirect: string;
  authnPost: string;
  logoutRedirect: string;
}

const sp = spIdentity('python-sp');
let idp: IdpHost;
let requests: Record<'pysaml2' | 'onelogin', LibraryRequests>;

beforeAll(async () => {
  idp = await startIdp({ relyingParties: [rpConfig(sp, { requireSignedRequests: true })] });
  const { stdout } = await run('/usr/bin/python3', [
    SCRIPT,
    ...['--sp-entity-id', sp.entityId, '--acs', sp.acs, '--slo', sp.slo, '--sp-key', sp.keys.keyPath, '--sp-cert', sp.keys.certPath],
    ...['--idp-entity-id', idp.entityId, '--sso', `${idp.base}/sso`, '--idp-slo', `${idp.base}/slo`],
  ]);
  requests = JSON.parse(stdout) as typeof requests;
});
afterAll(async () => {
  await idp?.close();
});

async function deniedCount(): Promise<number> {
  return (await idp.auditRows()).filter((r) => r.event === 'saml-request' && r.result === 'denied').length;
}

/** Accepted: no refusal recorded, and the browser is sent on (to /login or the same-site continue step). */
async function expectAccepted(send: () => Promise<Response>): Promise<void> {
  const before = await deniedCount();
  const res = await send();
  const body = await res.text();
  expect(await deniedCount(), idp.logs.filter((l) => l.includes('SAML request refused')).at(-1)).toBe(before);
  expect(res.status, body.slice(0, 300)).toBeLessThan(400);
}

describe.each(['pysaml2', 'onelogin'] as const)('signed requests from %s', (library) => {
  it('an AuthnRequest over HTTP-Redirect, signed on the query', async () => {
    // OneLogin puts Signature before SigAlg in the URL; the signed octets are rebuilt in the order Bindings §3.4.4.1 gives.
    expect(requests[library].authnRedirect).toMatch(/&SigAlg=/);
    expect(requests[library].authnRedirect).toMatch(/&Signature=/);
    await expectAccepted(() => new TestBrowser(idp.url).get(`/saml/idp/sso?${requests[library].authnRedirect}`));
  });

  it('an AuthnRequest over HTTP-POST with an enveloped XML signature', async () => {
    expect(Buffer.from(requests[library].authnPost, 'base64').toString('utf8')).toMatch(/Signature/);
    await expectAccepted(() => new TestBrowser(idp.url).post('/saml/idp/sso', { SAMLRequest: requests[library].authnPost }));
  });

  it('a LogoutRequest over HTTP-Redirect, signed on the query', async () => {
    await expectAccepted(() => new TestBrowser(idp.url).get(`/saml/idp/slo?${requests[library].logoutRedirect}`));
  });

  it('and the same AuthnRequest with one changed character is refused', async () => {
    const xml = Buffer.from(requests[library].authnPost, 'base64').toString('utf8').replace(sp.acs, `${sp.acs}x`);
    const before = await deniedCount();
    const res = await new TestBrowser(idp.url).post('/saml/idp/sso', { SAMLRequest: Buffer.from(xml).toString('base64') });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await deniedCount()).toBe(before + 1);
    expect((await idp.auditRows()).at(-1)).toMatchObject({ deny_reason: 'SIGNATURE_INVALID' });
  });
});
