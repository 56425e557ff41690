/**
 * Identifiers for Responses and Assertions. SAML Core §1.3.4 asks for IDs with at least 128
 * bits of randomness; we use 160. Calling `crypto.randomBytes` per ID cost about 30% of the
 * non-RSA work of a signed response, so IDs are cut from a pooled buffer filled by the CSPRNG.
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 20;
const POOL_IDS = 512;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let offset = pool.length;

/*
 * xs:ID is an NCName (XML Schema Part 2 §3.3.8): it may not start with a digit, so a hex
 * string gets a leading '_'.
 */
export function newSamlId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = '_' + pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/*
 * The subset of NCName we accept from callers: ASCII letters, digits, '_', '-', '.', starting
 * with a letter or '_'. It needs no escaping and works as an XPointer `#id` reference.
 */
const SAFE_NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

export function isSafeSamlId(id: string): boolean {
  return SAFE_NCNAME.test(id);
}
