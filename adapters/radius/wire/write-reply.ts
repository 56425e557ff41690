/**
 * Replies are encoded by the `radius` package: it computes the Message-Authenticator over the
 * packet with the Request Authenticator in place, then the Response Authenticator
 * (MD5(Code+ID+Length+RequestAuth+Attributes+Secret), RFC 2865 §3) over the result, in the
 * order RFC 3579 §3.2 requires. Every reply carries a Message-Authenticator (the BlastRADIUS
 * advice for servers), and Proxy-State is echoed in order (RFC 2865 §5.33).
 */
import radius, { type EncodeAttribute } from 'radius';
import { ATTR, CODE } from './packet-format.js';
import type { AccessRequest } from './read-request.js';

export type ReplyCode = typeof CODE.ACCESS_ACCEPT | typeof CODE.ACCESS_REJECT | typeof CODE.ACCESS_CHALLENGE;

const CODE_NAME: Record<ReplyCode, string> = {
  [CODE.ACCESS_ACCEPT]: 'Access-Accept',
  [CODE.ACCESS_REJECT]: 'Access-Reject',
  [CODE.ACCESS_CHALLENGE]: 'Access-Challenge',
};

/** An attribute of a reply: a standard type with octets, as the wire carries it. */
export interface ReplyAttribute {
  type: number;
  value: Buffer;
}

/** Reply-Message is at most 253 octets per attribute (RFC 2865 §5.18); longer text is split. */
export function replyMessage(text: string): ReplyAttribute[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: ReplyAttribute[] = [];
  for (let i = 0; i < bytes.length; i += 253) out.push({ type: ATTR.REPLY_MESSAGE, value: bytes.subarray(i, i + 253) });
  return out;
}

export function writeReply(request: AccessRequest, code: ReplyCode, attributes: readonly ReplyAttribute[], secret: string): Buffer {
  const attrs: EncodeAttribute[] = attributes.map((a) => [a.type, a.value]);
  for (const a of request.framed.attributes) if (a.type === ATTR.PROXY_STATE) attrs.push([a.type, a.value]);
  return radius.encode({
    code: CODE_NAME[code],
    identifier: request.identifier,
    authenticator: request.authenticator,
    secret,
    attributes: attrs,
    add_message_authenticator: true,
  });
}
