import { timingSafeEqual } from 'node:crypto';

/**
 * A code as typed: ASCII digits, with the spaces some users type between groups ("123 456")
 * removed. Anything else (letters, full-width digits, the wrong length) is MALFORMED, so a
 * verifier never spends HMACs on input that cannot match.
 */
export function normalizeCode(code: unknown, digits: number): string | undefined {
  if (typeof code !== 'string' || code.length > 32) return undefined;
  const compact = code.replace(/ /g, '');
  return compact.length === digits && /^[0-9]+$/.test(compact) ? compact : undefined;
}

/**
 * Equal-length digit strings compared without an early exit, so response time does not tell
 * an attacker how many leading digits were right (RFC 4226 §7.1 asks for resistance to
 * guessing; timing must not shrink the space).
 */
export function codesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}
