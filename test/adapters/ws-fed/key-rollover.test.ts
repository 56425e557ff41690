/**
 * A signing-key rollover as operators run it (`signing.keys`: the new key first, signing; the
 * old certificate still published): the federation metadata lists both certificates, current
 * first, and is signed by the new key; tokens are signed by the new key only, so a relying party
 * that fed Entra ID both (`SigningCertificate` and `NextSigningCertificate`) keeps working.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../../src/host/bootstrap/signing-keys.js';
import { makeTempDir } from '../../support/host-harness.js';
import { TestBrowser } from '../../support/http-client.js';
import { pythonReads, signIn, signInPath, startWsFed, xmlsecVerifies, type WsFedHost } from './support.js';

let h: WsFedHost;
let oldCertPath: string;

beforeAll(async () => {
  const dir = makeTempDir();
  const next = generateSelfSigned('factorgate next', dir);
  const old = generateSelfSigned('factorgate old', dir);
  oldCertPath = join(dir, 'old.pem');
  writeFileSync(oldCertPath, old.certPem);
  h = await startWsFed({ realms: [{ name: 'Microsoft 365', preset: 'entra-id' }] }, { config: { signing: { keys: [{ cert: next.certPem, key: next.keyPem }, { cert: old.certPem }] } } });
});
afterAll(async () => {
  await h.close();
});

describe('WS-Federation during a signing-key rollover', () => {
  it('the metadata publishes both certificates, current first, signed by the current key', async () => {
    const xml = await (await new TestBrowser(h.url).get('/FederationMetadata/2007-06/FederationMetadata.xml')).text();
    const read = await pythonReads(h, 'metadata', xml);
    expect(read.schemas.wsFederation.valid).toBe(true);
    expect(read.certificates).toHaveLength(2);
    expect(read.certificates).toEqual(h.host.api.keys.published.map((k) => k.certificateBase64));
    expect(read.certificates[0]).toBe(h.host.api.keys.current.certificateBase64);
    expect(await xmlsecVerifies(h, xml, 'metadata')).toBe(true);
  });

  it('tokens are signed by the new key: the old certificate does not verify them', async () => {
    const { form } = await signIn(h, new TestBrowser(h.url), signInPath({ wtrealm: 'urn:federation:MicrosoftOnline' }));
    expect(await xmlsecVerifies(h, form.fields.wresult!, 'assertion')).toBe(true);
    expect(await xmlsecVerifies({ ...h, certPath: oldCertPath }, form.fields.wresult!, 'assertion')).toBe(false);
  });
});
