/**
 * The enveloped signature of an upstream IdP's metadata document, verified against the
 * certificate(s) pinned in `metadataSignerCert` (SAML Metadata §3: metadata is signed like any
 * SAML object). The SAML core's primitives do the work: the one safe parser, the one
 * signature-form check and algorithm allowlist, verification with the pinned keys only (never
 * the KeyInfo), and the signed-bytes re-read: what the bridge then reads is the canonical XML
 * the signature covers, not the received document.
 */
import {
  NS_DS,
  attr,
  childElements,
  parseXmlSafely,
  pinnedPublicKeys,
} from '../../src/sdk/adapter.js';
import { checkSignatureForm } from '../../src/sdk/adapter.js';
import { readSignedElement, verifyWithPinnedKeys } from '../../src/sdk/adapter.js';
import { MetadataError } from './upstream-metadata.js';

const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

/** The metadata's root element (EntityDescriptor or EntitiesDescriptor) as the pinned signer signed it, serialised canonically; throws MetadataError. */
export function verifiedMetadataXml(xml: string, signerCertificates: readonly string[]): { xml: string; signerIndex: number } {
  const parsed = parseXmlSafely(xml);
  if (!parsed.ok) throw new MetadataError(`the IdP metadata is refused: ${parsed.message}`);
  const root = parsed.document.documentElement!;
  if (root.namespaceURI !== NS_MD || (root.localName !== 'EntityDescriptor' && root.localName !== 'EntitiesDescriptor')) {
    throw new MetadataError(`the IdP metadata's root element is {${root.namespaceURI ?? ''}}${root.localName}, not md:EntityDescriptor or md:EntitiesDescriptor`);
  }
  const signatures = childElements(root).filter((el) => el.namespaceURI === NS_DS && el.localName === 'Signature');
  if (signatures.length === 0) throw new MetadataError('the IdP metadata is not signed, but metadataSignerCert requires a signature by the pinned signer');
  if (signatures.length > 1) throw new MetadataError(`the IdP metadata carries ${signatures.length} Signatures on its root`);
  const signature = signatures[0]!;
  const form = checkSignatureForm(signature, root, `metadata ${root.localName}`);
  if (form !== undefined) throw new MetadataError(`the IdP metadata signature is refused (${form.reason}): ${form.detail}`);
  const verified = verifyWithPinnedKeys(xml, signature, pinnedPublicKeys(signerCertificates, 'metadataSignerCert'));
  if (!verified.ok) throw new MetadataError(`the IdP metadata signature does not verify with metadataSignerCert (${verified.reason}): ${verified.detail}`);
  const signed = readSignedElement(verified.signedXml, NS_MD, root.localName, attr(root, 'ID'));
  if (!signed.ok) throw new MetadataError(`the IdP metadata signature is refused: ${signed.detail}`);
  return { xml: verified.signedXml, signerIndex: verified.keyIndex };
}
