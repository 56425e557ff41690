/**
 * The HTTP-Redirect binding's signature (SAML Bindings §3.4.4.1): computed over the URL-encoded
 * `SAMLRequest|SAMLResponse`, `RelayState` and `SigAlg` parameters exactly as sent, with the
 * same algorithm allowlist and the same pinned keys as an enveloped XML signature.
 */
import { verify, type KeyObject } from 'node:crypto';
import { SHA1_SIGNATURES, SIGNATURE_METHODS } from './algorithms.js';
import { clip } from '../../kit/clip.js';
import { signatureFailure, type SignatureFailure } from './failure.js';

export interface QuerySignature {
  /** The SigAlg parameter, URL-decoded. */
  sigAlg: string;
  signature: Buffer;
  /** The octets that were signed, as they appeared in the query. */
  signedBytes: string;
}

export function verifyQuerySignature(query: QuerySignature, keys: readonly KeyObject[]): { ok: true; keyIndex: number } | SignatureFailure {
  if (SHA1_SIGNATURES.has(query.sigAlg)) return signatureFailure('SHA1', `the query is signed with ${clip(query.sigAlg)} (SHA-1)`);
  const hash = SIGNATURE_METHODS.get(query.sigAlg);
  if (hash === undefined) return signatureFailure('ALGORITHM', `the query signature algorithm ${clip(query.sigAlg)} is not accepted (RSA-SHA256 or RSA-SHA512)`);
  const data = Buffer.from(query.signedBytes, 'utf8');
  for (const [keyIndex, key] of keys.entries()) {
    if (verify(hash, data, key, query.signature)) return { ok: true, keyIndex };
  }
  return signatureFailure('SIGNATURE_INVALID', 'no pinned certificate verifies the query signature');
}
