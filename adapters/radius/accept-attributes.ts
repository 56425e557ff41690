/**
 * What an Access-Accept carries besides the Message-Authenticator: the client's fixed
 * attributes, then those of each group the user belongs to (memberOf, matched by DN or by CN,
 * case-insensitively). Vendor attributes are written as RFC 2865 §5.26 recommends: Vendor-Id,
 * then one vendor type, length and string value.
 */
import { inGroup } from '../../src/sdk/adapter.js';
import type { RadiusClientConfig, ReplyAttributeConfig } from './config.js';
import { ATTR } from './wire/packet-format.js';
import type { ReplyAttribute } from './wire/write-reply.js';

const NAMED: Record<string, number> = { Class: ATTR.CLASS, 'Filter-Id': ATTR.FILTER_ID, 'Reply-Message': ATTR.REPLY_MESSAGE };

function encodeAttribute(a: ReplyAttributeConfig): ReplyAttribute {
  if ('vendorId' in a) {
    const value = Buffer.from(a.value, 'utf8');
    const vsa = Buffer.alloc(6 + value.length);
    vsa.writeUInt32BE(a.vendorId, 0);
    vsa[4] = a.type;
    vsa[5] = 2 + value.length;
    value.copy(vsa, 6);
    return { type: ATTR.VENDOR_SPECIFIC, value: vsa };
  }
  if (a.name === 'Session-Timeout') {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(a.value, 0);
    return { type: ATTR.SESSION_TIMEOUT, value: v };
  }
  return { type: NAMED[a.name]!, value: Buffer.from(a.value, 'utf8') };
}

/** The groups of the client's `groupAttributes` the user is in, by their configured names. */
export function matchedGroups(client: Pick<RadiusClientConfig, 'groupAttributes'>, memberOf: readonly string[]): string[] {
  if (client.groupAttributes.length === 0) return [];
  // The host's one membership rule (SDK `inGroup`): a name matches a DN's first RDN, a DN only itself.
  return client.groupAttributes.filter((g) => inGroup(g.group, memberOf)).map((g) => g.group);
}

export function acceptAttributes(client: RadiusClientConfig, groups: readonly string[]): ReplyAttribute[] {
  const out = client.attributes.map(encodeAttribute);
  for (const g of client.groupAttributes) if (groups.includes(g.group)) out.push(...g.attributes.map(encodeAttribute));
  return out;
}
