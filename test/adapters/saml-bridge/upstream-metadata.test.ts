/**
 * Reading an upstream IdP's metadata: what AD FS, Entra ID, Keycloak and pysaml2 publish, and
 * the broken or hostile documents the bridge must refuse with a reason an operator can act on.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_METADATA_BYTES, MetadataError, parseIdpMetadata } from '../../../adapters/saml-bridge/upstream-metadata.js';
import { makeTestKeys, type TestKeys } from '../../saml/support/test-keys.js';
import {
  ADFS_ENTITY_ID,
  ADFS_METADATA,
  ARTIFACT,
  POST,
  REDIRECT,
  base64Of,
  entitiesXml,
  entityDescriptor,
  idpDescriptor,
  idpMetadataXml,
  keyDescriptor,
} from '../../fixtures/saml-bridge/idp-metadata.js';

let first: TestKeys;
let second: TestKeys;
let other: TestKeys;

beforeAll(() => {
  first = makeTestKeys('idp-signing-1');
  second = makeTestKeys('idp-signing-2');
  other = makeTestKeys('idp-encryption');
});

afterAll(() => {
  for (const k of [first, second, other]) k?.cleanup();
});

const subjects = (pems: string[]) => pems.map((pem) => new X509Certificate(pem).subject);

function refusal(xml: string, expectedEntityId?: string): string {
  try {
    parseIdpMetadata(xml, expectedEntityId);
  } catch (err) {
    expect(err).toBeInstanceOf(MetadataError);
    return (err as Error).message;
  }
  throw new Error('the metadata was accepted');
}

describe('an AD FS FederationMetadata.xml', () => {
  it('yields the entity, both SSO bindings and the two token-signing certificates in order', () => {
    const metadata = parseIdpMetadata(ADFS_METADATA);
    expect(metadata.entityId).toBe(ADFS_ENTITY_ID);
    expect(metadata.sso).toEqual({ redirect: 'https://adfs.corp.example.com/adfs/ls/', post: 'https://adfs.corp.example.com/adfs/ls/' });
    expect(metadata.wantAuthnRequestsSigned).toBe(false);
    // Not the encryption certificate of the IDPSSODescriptor, nor anything from the WS-Fed
    // RoleDescriptors, the SPSSODescriptor or the metadata's own signature.
    expect(subjects(metadata.signingCertificates)).toEqual(['CN=ADFS Signing - adfs.corp.example.com', 'CN=ADFS Signing - adfs.corp.example.com (rollover)']);
    for (const pem of metadata.signingCertificates) expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
  });

  it('accepts the expected entity ID and refuses another', () => {
    expect(parseIdpMetadata(ADFS_METADATA, ADFS_ENTITY_ID).entityId).toBe(ADFS_ENTITY_ID);
    expect(refusal(ADFS_METADATA, 'https://sts.windows.net/tenant/')).toBe(
      `the IdP metadata describes "${ADFS_ENTITY_ID}", not the expected "https://sts.windows.net/tenant/"`,
    );
  });
});

describe('signing certificates', () => {
  it('takes KeyDescriptors marked signing or unmarked, in document order, once each, never encryption ones', () => {
    const metadata = parseIdpMetadata(
      idpMetadataXml({
        keys: [
          { pem: other.certPem, use: 'encryption' },
          { pem: second.certPem },
          { pem: first.certPem, use: 'signing' },
          { pem: second.certPem, use: 'signing' },
        ],
      }),
    );
    expect(subjects(metadata.signingCertificates)).toEqual(['CN=idp-signing-2', 'CN=idp-signing-1']);
  });

  it('reads a certificate whatever its line breaks and spacing', () => {
    const wrapped = base64Of(first.certPem).replace(/(.{50})/g, '$1\n\t  ');
    const xml = idpMetadataXml({ keys: [{ pem: first.certPem, use: 'signing' }] }).replace(base64Of(first.certPem), `\n  ${wrapped}\n`);
    expect(parseIdpMetadata(xml).signingCertificates).toEqual([new X509Certificate(first.certPem).toString()]);
  });

  it('ignores the certificates of an SPSSODescriptor in the same entity', () => {
    const sp =
      '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
      keyDescriptor(other.certPem, 'signing') +
      '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.org/acs" index="0"/>' +
      '</md:SPSSODescriptor>';
    const xml = entityDescriptor('https://idp.example.org/metadata', sp + idpDescriptor({ keys: [{ pem: first.certPem, use: 'signing' }] }));
    expect(subjects(parseIdpMetadata(xml).signingCertificates)).toEqual(['CN=idp-signing-1']);
  });

  it('refuses metadata with only an encryption certificate', () => {
    expect(refusal(idpMetadataXml({ keys: [{ pem: first.certPem, use: 'encryption' }] }))).toBe(
      'the IdP metadata for "https://idp.example.org/metadata" has no signing certificate in its IDPSSODescriptor',
    );
  });

  it('names the broken certificate by its index', () => {
    const broken = base64Of(second.certPem).slice(0, 400);
    const xml = idpMetadataXml({ keys: [{ pem: first.certPem, use: 'signing' }, { pem: second.certPem, use: 'signing' }] }).replace(base64Of(second.certPem), broken);
    expect(refusal(xml)).toMatch(/^the IdP metadata's signing certificate 1 \(counting from 0, in document order\) is not an X\.509 certificate/);
    const notBase64 = idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace(base64Of(first.certPem), 'not*base64');
    expect(refusal(notBase64)).toBe("the IdP metadata's signing certificate 0 (counting from 0, in document order) is not base64");
  });
});

describe('endpoints and flags', () => {
  it('takes the first Redirect and the first POST endpoint and skips other bindings', () => {
    const metadata = parseIdpMetadata(
      idpMetadataXml({
        keys: [{ pem: first.certPem }],
        sso: [
          { binding: ARTIFACT, location: 'https://idp.example.org/artifact' },
          { binding: POST, location: 'https://idp.example.org/sso/post' },
          { binding: POST, location: 'https://idp.example.org/sso/post-2' },
        ],
        wantAuthnRequestsSigned: true,
      }),
    );
    expect(metadata.sso).toEqual({ post: 'https://idp.example.org/sso/post' });
    expect(metadata.wantAuthnRequestsSigned).toBe(true);
  });

  it('refuses an IdP with neither a Redirect nor a POST SSO endpoint', () => {
    const xml = idpMetadataXml({ keys: [{ pem: first.certPem }], sso: [{ binding: ARTIFACT, location: 'https://idp.example.org/artifact' }] });
    expect(refusal(xml)).toMatch(/has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding$/);
  });

  it('refuses an SSO location the browser must never be sent to', () => {
    const script = idpMetadataXml({ keys: [{ pem: first.certPem }], sso: [{ binding: REDIRECT, location: 'javascript:alert(1)' }] });
    expect(refusal(script)).toBe(`the IdP metadata's SingleSignOnService Location "javascript:alert(1)" is not an http(s) URL`);
    const relative = idpMetadataXml({ keys: [{ pem: first.certPem }], sso: [{ binding: POST, location: '/sso' }] });
    expect(refusal(relative)).toBe(`the IdP metadata's SingleSignOnService Location "/sso" is not an absolute URL`);
  });

  it('refuses metadata without a SAML 2.0 IDPSSODescriptor', () => {
    const saml11 = idpMetadataXml({ keys: [{ pem: first.certPem }], protocols: 'urn:oasis:names:tc:SAML:1.1:protocol' });
    expect(refusal(saml11)).toBe(
      'the IdP metadata for "https://idp.example.org/metadata" has no IDPSSODescriptor supporting urn:oasis:names:tc:SAML:2.0:protocol',
    );
    // Namespace-aware: an IDPSSODescriptor in another namespace is not SAML metadata.
    const foreign = idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace(/md:IDPSSODescriptor/g, 'x:IDPSSODescriptor').replace('<x:IDPSSODescriptor ', '<x:IDPSSODescriptor xmlns:x="urn:example:not-metadata" ');
    expect(refusal(foreign)).toMatch(/has no IDPSSODescriptor supporting/);
  });

  it('refuses an EntityDescriptor without an entityID', () => {
    expect(refusal(idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace(' entityID="https://idp.example.org/metadata"', ''))).toBe(
      'the IdP metadata EntityDescriptor has no entityID',
    );
  });
});

describe('EntitiesDescriptor', () => {
  const idp = (id: string) => entityDescriptor(id, idpDescriptor({ keys: [{ pem: first.certPem }] }), false);
  const sp = entityDescriptor(
    'https://sp.example.org',
    '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/></md:SPSSODescriptor>',
    false,
  );

  it('picks the only IdP when no entity ID is expected', () => {
    expect(parseIdpMetadata(entitiesXml([sp, idp('https://idp-a.example.org')])).entityId).toBe('https://idp-a.example.org');
  });

  it('picks the expected entity, also in a nested EntitiesDescriptor', () => {
    const nested = `<md:EntitiesDescriptor Name="inner">${idp('https://idp-b.example.org')}</md:EntitiesDescriptor>`;
    const xml = entitiesXml([idp('https://idp-a.example.org'), nested]);
    expect(parseIdpMetadata(xml, 'https://idp-b.example.org').entityId).toBe('https://idp-b.example.org');
  });

  it('refuses to guess between several IdPs, and names a missing expected entity', () => {
    const xml = entitiesXml([idp('https://idp-a.example.org'), idp('https://idp-b.example.org')]);
    expect(refusal(xml)).toBe('the IdP metadata is an EntitiesDescriptor with 2 SAML 2.0 IdPs; configure the expected entity ID to pick one');
    expect(refusal(xml, 'https://idp-c.example.org')).toBe('the IdP metadata has no EntityDescriptor with entityID "https://idp-c.example.org"');
    expect(refusal(entitiesXml([sp]))).toBe('the IdP metadata is an EntitiesDescriptor with no SAML 2.0 IdP in it');
  });
});

describe('hostile and broken documents', () => {
  it('refuses any DOCTYPE (XXE, entity expansion) before parsing', () => {
    const xxe = idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace(
      '<md:EntityDescriptor',
      '<!DOCTYPE md:EntityDescriptor [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<md:EntityDescriptor',
    );
    expect(refusal(xxe)).toBe('the IdP metadata is refused: the document declares a DOCTYPE or an ENTITY, which is never accepted');
    const bare = `<!doctype md:EntityDescriptor>${idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace(/^<\?xml[^>]*>\n/, '')}`;
    expect(refusal(bare)).toMatch(/DOCTYPE/);
  });

  it('refuses a document over the size cap', () => {
    const huge = idpMetadataXml({ keys: [{ pem: first.certPem }] }).replace('<md:NameIDFormat>', `<!--${'x'.repeat(MAX_METADATA_BYTES)}--><md:NameIDFormat>`);
    expect(refusal(huge)).toMatch(/^the IdP metadata is \d+ bytes, more than the 4194304 accepted$/);
  });

  it('refuses text that is not XML, XML that is not well-formed, and a foreign root element', () => {
    expect(refusal('<html><body>Sign in to continue')).toMatch(/^the IdP metadata is refused: the file is not well-formed XML/);
    expect(refusal('{"issuer":"https://idp.example.org"}')).toMatch(/^the IdP metadata is refused: the file is not XML/);
    expect(refusal('<html><body>maintenance</body></html>')).toBe("the IdP metadata's root element is {}html, not md:EntityDescriptor or md:EntitiesDescriptor");
  });
});
