/**
 * One datagram in, one typed Access-Request out, or the reason it is discarded. Never throws:
 * the framing is checked first (packet-format.ts), then the `radius` package names the
 * attributes by its dictionary, inside a try (it throws on, e.g., a Vendor-Specific with a
 * non-zero first octet or an integer attribute shorter than 4 octets).
 */
import radius from 'radius';
import { ATTR, CODE, countAttribute, firstAttribute, readFraming, type FramedPacket } from './packet-format.js';

export interface AccessRequest {
  framed: FramedPacket;
  identifier: number;
  authenticator: Buffer;
  userName: string | null;
  /** The encrypted User-Password attribute; decoded once the client (its secret) is known. */
  userPasswordCipher: Buffer | null;
  /** State (RFC 2865 §5.24), octets as sent back by the NAS. */
  state: Buffer | null;
  callingStationId: string | null;
  nasIpAddress: string | null;
  nasIdentifier: string | null;
  /** CHAP or EAP: methods this server does not take (it needs the clear password). */
  unsupported: 'CHAP' | 'EAP' | null;
}

export type RequestProblem = ReturnType<typeof readFraming> extends infer R ? Exclude<R, FramedPacket> | 'NOT_ACCESS_REQUEST' | 'UNDECODABLE' | 'REPEATED_ATTRIBUTE' : never;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function readAccessRequest(datagram: Buffer): AccessRequest | { problem: RequestProblem } {
  const framed = readFraming(datagram);
  if (typeof framed === 'string') return { problem: framed };
  if (framed.code !== CODE.ACCESS_REQUEST) return { problem: 'NOT_ACCESS_REQUEST' };
  // RFC 2865 §5.44 table: at most one of each of these in an Access-Request.
  for (const t of [ATTR.USER_NAME, ATTR.USER_PASSWORD, ATTR.STATE, ATTR.CHAP_PASSWORD]) {
    if (countAttribute(framed, t) > 1) return { problem: 'REPEATED_ATTRIBUTE' };
  }
  let named: Record<string, unknown>;
  try {
    named = radius.decode_without_secret({ packet: framed.packet }).attributes;
  } catch {
    return { problem: 'UNDECODABLE' };
  }
  return {
    framed,
    identifier: framed.identifier,
    authenticator: framed.authenticator,
    userName: text(named['User-Name']),
    userPasswordCipher: firstAttribute(framed, ATTR.USER_PASSWORD) ?? null,
    state: firstAttribute(framed, ATTR.STATE) ?? null,
    callingStationId: text(named['Calling-Station-Id']),
    nasIpAddress: text(named['NAS-IP-Address']),
    nasIdentifier: text(named['NAS-Identifier']),
    unsupported: firstAttribute(framed, ATTR.CHAP_PASSWORD) ? 'CHAP' : firstAttribute(framed, ATTR.EAP_MESSAGE) ? 'EAP' : null,
  };
}
