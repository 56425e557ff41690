/**
 * Message-Authenticator (RFC 3579 §3.2): HMAC-MD5 over the whole packet with this attribute's
 * value zeroed, keyed with the shared secret. BlastRADIUS (CVE-2024-3596) forges an
 * Access-Request's Response Authenticator by an MD5 chosen-prefix collision; a request that
 * must carry a valid Message-Authenticator cannot be forged that way, so it is required on
 * Access-Request by default, and always checked when present.
 *
 * Checked here, not by the `radius` package: it compares the HMACs as UTF-8 strings
 * (`Buffer#toString() !=`), where every invalid byte sequence turns into U+FFFD, so two
 * different 16-octet values compare equal (test/adapters/radius/wire.test.ts shows a forgery
 * it accepts) — and not in constant time. Here: `timingSafeEqual` on the octets.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FramedPacket } from './packet-format.js';
import { ATTR } from './packet-format.js';

const ZERO16 = Buffer.alloc(16);

export type MessageAuthenticatorCheck = 'valid' | 'absent' | 'invalid';

export function checkRequestMessageAuthenticator(p: FramedPacket, secret: Buffer): MessageAuthenticatorCheck {
  const attr = p.attributes.find((a) => a.type === ATTR.MESSAGE_AUTHENTICATOR);
  if (!attr) return 'absent';
  const hmac = createHmac('md5', secret);
  hmac.update(p.packet.subarray(0, attr.offset));
  hmac.update(ZERO16);
  hmac.update(p.packet.subarray(attr.offset + 16));
  return timingSafeEqual(hmac.digest(), attr.value) ? 'valid' : 'invalid';
}
