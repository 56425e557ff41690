/**
 * RADIUS framing (RFC 2865 §3, §5) checked before any library sees the bytes: a datagram that
 * breaks it is silently discarded, as the RFC says, and never reaches code that could throw.
 * The `radius` package decodes attributes by dictionary but accepts a length under 20, walks
 * past truncated attributes, and throws on others: it only ever gets packets that passed here.
 */

export const CODE = {
  ACCESS_REQUEST: 1,
  ACCESS_ACCEPT: 2,
  ACCESS_REJECT: 3,
  ACCESS_CHALLENGE: 11,
} as const;

export const ATTR = {
  USER_NAME: 1,
  USER_PASSWORD: 2,
  CHAP_PASSWORD: 3,
  NAS_IP_ADDRESS: 4,
  REPLY_MESSAGE: 18,
  STATE: 24,
  CLASS: 25,
  VENDOR_SPECIFIC: 26,
  SESSION_TIMEOUT: 27,
  CALLING_STATION_ID: 31,
  NAS_IDENTIFIER: 32,
  PROXY_STATE: 33,
  EAP_MESSAGE: 79,
  MESSAGE_AUTHENTICATOR: 80,
  FILTER_ID: 11,
} as const;

/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const MIN_LENGTH = 20;
export const MAX_LENGTH = 4096;
export const AUTHENTICATOR_OFFSET = 4;
export const AUTHENTICATOR_LENGTH = 16;

export interface RawAttribute {
  type: number;
  /** Offset of the value in the packet (after type and length). */
  offset: number;
  value: Buffer;
}

export interface FramedPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  /** The packet cut to its Length field (octets beyond it are padding, RFC 2865 §3). */
  packet: Buffer;
  attributes: RawAttribute[];
}

export type FramingProblem =
  | 'SHORT_DATAGRAM'
  | 'BAD_LENGTH'
  | 'BAD_ATTRIBUTE_LENGTH'
  | 'BAD_MESSAGE_AUTHENTICATOR_LENGTH'
  | 'DUPLICATE_MESSAGE_AUTHENTICATOR';

/** Reads the header and walks every attribute; anything malformed is named, never thrown. */
export function readFraming(datagram: Buffer): FramedPacket | FramingProblem {
  if (datagram.length < MIN_LENGTH) return 'SHORT_DATAGRAM';
  const length = datagram.readUInt16BE(2);
  // Shorter than the header, longer than allowed, or longer than what arrived: discarded.
  if (length < MIN_LENGTH || length > MAX_LENGTH || length > datagram.length) return 'BAD_LENGTH';
  const packet = datagram.subarray(0, length);
  const attributes: RawAttribute[] = [];
  let at = MIN_LENGTH;
  let messageAuthenticators = 0;
  while (at < length) {
    if (at + 2 > length) return 'BAD_ATTRIBUTE_LENGTH';
    const type = packet[at]!;
    const len = packet[at + 1]!;
    // RFC 2865 §5: Length ≥ 3 for every attribute we carry (2 would be an empty value, which
    // no attribute allows), and it must end inside the packet.
    if (len < 3 || at + len > length) return 'BAD_ATTRIBUTE_LENGTH';
    if (type === ATTR.MESSAGE_AUTHENTICATOR) {
      if (len !== 18) return 'BAD_MESSAGE_AUTHENTICATOR_LENGTH';
      if (++messageAuthenticators > 1) return 'DUPLICATE_MESSAGE_AUTHENTICATOR';
    }
    attributes.push({ type, offset: at + 2, value: packet.subarray(at + 2, at + len) });
    at += len;
  }
  return {
    code: packet[0]!,
    identifier: packet[1]!,
    authenticator: packet.subarray(AUTHENTICATOR_OFFSET, AUTHENTICATOR_OFFSET + AUTHENTICATOR_LENGTH),
    packet,
    attributes,
  };
}

export function firstAttribute(p: FramedPacket, type: number): Buffer | undefined {
  return p.attributes.find((a) => a.type === type)?.value;
}

export function countAttribute(p: FramedPacket, type: number): number {
  return p.attributes.reduce((n, a) => n + (a.type === type ? 1 : 0), 0);
}
