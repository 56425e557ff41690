/**
 * The SAML signing-key rollover the README documents, stage by stage, with node-saml as the
 * relying party. A relying party pins what our metadata publishes at the time it fetches it:
 *  1. announce: the old key still signs, the new certificate is only published — a peer that
 *     fetched the metadata before the rollover (old certificate only) still accepts, and so does
 *     one that fetched it during the rollover (both certificates);
 *  2. switch: the new key signs, the old certificate is still published — a peer that fetched the
 *     metadata during the rollover accepts; one that never refreshed is refused, which is why the
 *     announce stage must last a full metadata refresh period.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../../src/host/bootstrap/signing-keys.js';
import { TestBrowser } from '../../support/http-client.js';
import { makeTempDir } from '../../support/host-harness.js';
import { authnRequestPath, nodeSamlSp, rpConfig, signIn, spAccepts, spIdentity, startIdp, type IdpHost } from './support.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const dir = makeTempDir();
const oldPair = generateSelfSigned('factorgate signing old', dir);
const newPair = generateSelfSigned('factorgate signing new', dir);
const sp = spIdentity('rollover-rp');

/** The signing certificates in our metadata, as PEM, in document order. */
async function publishedCerts(idp: IdpHost): Promise<string[]> {
  const xml = await (await new TestBrowser(idp.url).get('/saml/idp/metadata')).text();
  const signing = [...xml.matchAll(/<md:KeyDescriptor use="signing">[\s\S]*?<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)];
  return signing.map((m) => `-----BEGIN CERTIFICATE-----\n${m[1]!.replace(/\s+/g, '').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`);
}

function base64Der(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}

/** Signs alice in through a node-saml SP that trusts `idpCerts`; node-saml's verdict. */
async function signInTrusting(idp: IdpHost, idpCerts: string[]): Promise<'accepted' | string> {
  const rp = nodeSamlSp(idp, sp.name);
  rp.saml.options.idpCert = idpCerts;
  const { form } = await signIn(idp, new TestBrowser(idp.url), await authnRequestPath(rp));
  try {
    const { profile } = await spAccepts(rp, form);
    expect(profile?.nameID).toBeTruthy();
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}

async function startWith(keys: { cert: string; key?: string }[], stateDir: string): Promise<IdpHost> {
  const idp = await startIdp({ relyingParties: [rpConfig(sp)] }, { dir: stateDir, config: { signing: { keys } } });
  cleanup.push(() => idp.close());
  return idp;
}

describe('SAML signing-key rollover, as the README documents it', () => {
  it('announce: the old key signs while both certificates are published; peers pinned to either set accept', async () => {
    const before = await startWith([{ cert: oldPair.certPem, key: oldPair.keyPem }], makeTempDir());
    const pinnedBefore = await publishedCerts(before);
    expect(pinnedBefore.map(base64Der)).toEqual([base64Der(oldPair.certPem)]);
    await before.close();
    cleanup.pop();

    const idp = await startWith([{ cert: oldPair.certPem, key: oldPair.keyPem }, { cert: newPair.certPem }], makeTempDir());
    const during = await publishedCerts(idp);
    expect(during.map(base64Der)).toEqual([base64Der(oldPair.certPem), base64Der(newPair.certPem)]);
    expect(idp.host.api.keys.current.certificateBase64).toBe(base64Der(oldPair.certPem));

    expect(await signInTrusting(idp, pinnedBefore)).toBe('accepted');
    expect(await signInTrusting(idp, during)).toBe('accepted');
    // Control: a peer that trusts only the new certificate is refused until the switch, so the
    // acceptances above are node-saml checking the old key's signature, not skipping the check.
    expect(await signInTrusting(idp, [newPair.certPem])).toMatch(/signature/i);
  });

  it('switch: the new key signs, the old certificate stays published; a peer that refreshed accepts, one that never did is refused', async () => {
    const idp = await startWith([{ cert: newPair.certPem, key: newPair.keyPem }, { cert: oldPair.certPem, key: oldPair.keyPem }], makeTempDir());
    const published = await publishedCerts(idp);
    expect(published.map(base64Der)).toEqual([base64Der(newPair.certPem), base64Der(oldPair.certPem)]);
    expect(idp.host.api.keys.current.certificateBase64).toBe(base64Der(newPair.certPem));

    // A peer that fetched the metadata during the announce stage holds both certificates.
    expect(await signInTrusting(idp, [oldPair.certPem, newPair.certPem])).toBe('accepted');
    expect(await signInTrusting(idp, published)).toBe('accepted');
    // A peer that never refreshed (old certificate only) is refused from the switch on.
    expect(await signInTrusting(idp, [oldPair.certPem])).toMatch(/signature/i);
  });
});
