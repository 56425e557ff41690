/**
 * Independent verifiers of our output. Each one parses the document itself and checks the
 * signature against a pinned certificate, never against the KeyInfo we send.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import type { XmlElement as Element } from '../../../src/xml/index.js';
import { SignedXml } from 'xml-crypto';

const run = promisify(execFile);
let fileCounter = 0;
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

export type SignedTarget = 'assertion' | 'response';

const XMLSEC_ID_ATTR: Record<SignedTarget, string> = {
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
  response: 'urn:oasis:names:tc:SAML:2.0:protocol:Response',
};
// The Signature that is a child of the target element, so `both` documents check each one.
const XMLSEC_NODE: Record<SignedTarget, string> = {
  assertion: "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']",
  response: "/*[local-name()='Response']/*[local-name()='Signature']",
};

/**
 * `xmlsec1 --verify` with the certificate pinned; resolves to whether it said OK. `nodeXpath`
 * overrides which Signature is checked (after `--decrypt` the Assertion sits inside
 * EncryptedAssertion).
 */
export async function xmlsecVerifies(
  xmlPath: string,
  certPath: string,
  target: SignedTarget,
  nodeXpath: string = XMLSEC_NODE[target],
): Promise<boolean> {
  try {
    await run('/usr/bin/xmlsec1', [
      '--verify',
      '--pubkey-cert-pem',
      certPath,
      '--id-attr:ID',
      XMLSEC_ID_ATTR[target],
      '--node-xpath',
      nodeXpath,
      xmlPath,
    ]);
    return true;
  } catch {
    return false;
  }
}

/** `xmlsec1 --decrypt` with the SP's key; resolves to the decrypted document, or null. */
export async function xmlsecDecrypts(xmlPath: string, keyPath: string): Promise<string | null> {
  try {
    const { stdout } = await run('/usr/bin/xmlsec1', ['--decrypt', '--privkey-pem', keyPath, xmlPath], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch {
    return null;
  }
}

/**
 * xml-crypto 6 with the certificate pinned. Returns the canonical bytes of what the signature
 * covers, or null when it does not verify or covers something other than `target`.
 */
export function xmlCryptoVerifies(xml: string, certPem: string, target: SignedTarget): string | null {
  let root: Element | null;
  try {
    root = new DOMParser({ errorHandler: (level: string, message: string) => quietWarnings(level, message) }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    return null;
  }
  if (!root) return null;
  const element =
    target === 'response' ? root : childByLocalName(root, 'Assertion');
  const signature = element === null ? null : childByLocalName(element, 'Signature', NS_DS);
  if (element === null || signature === null) return null;
  const verifier = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  try {
    verifier.loadSignature(signature);
    if (!verifier.checkSignature(xml)) return null;
  } catch {
    return null;
  }
  const references = verifier.getSignedReferences();
  const expectedId = element.getAttribute('ID');
  if (references.length !== 1 || !verifier.getReferences()[0]?.uri?.endsWith(`#${expectedId}`)) return null;
  return references[0] ?? null;
}

// xmldom warns about U+FFFD in the input, which our random values contain on purpose.
function quietWarnings(level: string, message: string): void {
  if (level !== 'warning') throw new Error(message);
}

function childByLocalName(parent: Element, localName: string, ns?: string): Element | null {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    const el = node as Element;
    if (node.nodeType === 1 && el.localName === localName && (ns === undefined || el.namespaceURI === ns)) return el;
  }
  return null;
}

export interface SpExpectations {
  certPem: string;
  certPath: string;
  idpEntityId: string;
  audience: string;
  acs: string;
  requestId?: string;
  signed: 'assertion' | 'response' | 'both';
  /** The SP's own key and certificate, to decrypt EncryptedAssertion. */
  decryption?: { keyPem: string; keyPath: string; certPath: string };
}

export interface SpResult {
  ok: boolean;
  error?: string;
  nameId?: string;
  nameIdFormat?: string;
  issuer?: string;
  attributes?: Record<string, string[]>;
}

/** node-saml 5 as an SP: pinned `idpCert`, audience, issuer and InResponseTo checked. */
export async function nodeSamlAccepts(xml: string, sp: SpExpectations): Promise<SpResult> {
  const saml = new SAML({
    idpCert: sp.certPem,
    idpIssuer: sp.idpEntityId,
    issuer: sp.audience,
    audience: sp.audience,
    callbackUrl: sp.acs,
    wantAssertionsSigned: sp.signed !== 'response',
    wantAuthnResponseSigned: sp.signed !== 'assertion',
    validateInResponseTo: sp.requestId === undefined ? ValidateInResponseTo.never : ValidateInResponseTo.always,
    acceptedClockSkewMs: 0,
    ...(sp.decryption === undefined ? {} : { decryptionPvk: sp.decryption.keyPem }),
  });
  try {
    if (sp.requestId !== undefined) await saml.cacheProvider.saveAsync(sp.requestId, new Date().toISOString());
    const { profile } = await saml.validatePostResponseAsync({
      SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'),
    });
    if (profile === null) return { ok: false, error: 'no profile' };
    const attributes: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(profile.attributes ?? {})) {
      attributes[name] = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : ''));
    }
    return {
      ok: true,
      nameId: profile.nameID,
      nameIdFormat: profile.nameIDFormat,
      issuer: profile.issuer,
      attributes,
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/**
 * Runs a Python SP (pysaml2 or OneLogin python3-saml) over several response files in one
 * process; Debian's /usr/bin/python3 is the interpreter that can import them.
 */
export async function pythonSpResults(
  peer: 'pysaml2' | 'onelogin',
  xmls: readonly string[],
  sp: SpExpectations,
  dir: string,
): Promise<SpResult[]> {
  const files = xmls.map((xml, i) => {
    const path = join(dir, `${peer}-${++fileCounter}-${i}.xml`);
    writeFileSync(path, xml);
    return path;
  });
  const args = [
    join(PEERS_DIR, peer === 'pysaml2' ? 'pysaml2-sp.py' : 'onelogin-sp.py'),
    '--cert',
    sp.certPath,
    '--idp-entity-id',
    sp.idpEntityId,
    '--audience',
    sp.audience,
    '--acs',
    sp.acs,
    '--signed',
    sp.signed,
    ...(sp.requestId === undefined ? [] : ['--request-id', sp.requestId]),
    ...(sp.decryption === undefined ? [] : ['--sp-key', sp.decryption.keyPath, '--sp-cert', sp.decryption.certPath]),
    ...files,
  ];
  const { stdout } = await run('/usr/bin/python3', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SpResult);
}
