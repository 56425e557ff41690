/** The public keys of pinned certificates: RSA of at least 2048 bits, or refused by index. */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { MIN_RSA_BITS } from './algorithms.js';

/**
 * A certificate that cannot be used throws (a configuration error, not something a message can
 * cause; callers name the configuration key). Certificate dates are not checked: SAML metadata
 * pins the key, and IdPs and SPs (AD FS among them) publish self-signed certificates whose dates
 * carry no trust (SAML Metadata Interoperability Profile §2.1).
 */
export function pinnedPublicKeys(pems: readonly string[], whose = 'upstream IdP'): KeyObject[] {
  if (pems.length === 0) throw new Error(`${whose}: no pinned signing certificate`);
  return pems.map((pem, i) => {
    const key = publicKeyOf(pem);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
      throw new Error(`${whose}: pinned certificate ${i} is not an RSA key of at least ${MIN_RSA_BITS} bits`);
    }
    return key;
  });
}

/*
 * Parsing a certificate costs more than the rest of a request's checks together; the pinned
 * certificates of configured peers are few, so their keys are kept (bounded, in case metadata
 * keeps rolling keys over in a long-running process).
 */
const KEY_CACHE_LIMIT = 256;
const keys = new Map<string, KeyObject>();

function publicKeyOf(pem: string): KeyObject {
  let key = keys.get(pem);
  if (key === undefined) {
    key = new X509Certificate(pem).publicKey;
    if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
    keys.set(pem, key);
  }
  return key;
}
