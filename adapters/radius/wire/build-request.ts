/**
 * An Access-Request as a client (NAS) writes it: random Request Authenticator, User-Password
 * hidden per RFC 2865 §5.2, Message-Authenticator (RFC 3579 §3.2) computed last. The server
 * never sends requests; tests, the fuzzer and the bench use this to speak to it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ATTR, CODE } from './packet-format.js';
import { encodeUserPassword } from './user-password.js';

export interface RequestInput {
  identifier: number;
  secret: Buffer;
  userName?: string;
  password?: string;
  state?: Buffer;
  /** Further attributes as they go on the wire. */
  attributes?: Array<{ type: number; value: Buffer }>;
  /** Default true. */
  messageAuthenticator?: boolean;
  authenticator?: Buffer;
}

export function buildAccessRequest(input: RequestInput): Buffer {
  const authenticator = input.authenticator ?? randomBytes(16);
  const attrs: Array<{ type: number; value: Buffer }> = [];
  // First, as the BlastRADIUS advice has it: no attacker-chosen prefix before it.
  if (input.messageAuthenticator !== false) attrs.push({ type: ATTR.MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) });
  if (input.userName !== undefined) attrs.push({ type: ATTR.USER_NAME, value: Buffer.from(input.userName, 'utf8') });
  if (input.password !== undefined) attrs.push({ type: ATTR.USER_PASSWORD, value: encodeUserPassword(input.password, input.secret, authenticator) });
  if (input.state) attrs.push({ type: ATTR.STATE, value: input.state });
  attrs.push(...(input.attributes ?? []));
  const length = 20 + attrs.reduce((n, a) => n + 2 + a.value.length, 0);
  const packet = Buffer.alloc(length);
  packet[0] = CODE.ACCESS_REQUEST;
  packet[1] = input.identifier & 0xff;
  packet.writeUInt16BE(length, 2);
  authenticator.copy(packet, 4);
  let at = 20;
  for (const a of attrs) {
    packet[at] = a.type;
    packet[at + 1] = 2 + a.value.length;
    a.value.copy(packet, at + 2);
    at += 2 + a.value.length;
  }
  if (input.messageAuthenticator !== false) {
    createHmac('md5', input.secret).update(packet).digest().copy(packet, 22);
  }
  return packet;
}
