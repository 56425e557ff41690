/**
 * What an Access-Accept carries besides the Message-Authenticator: the client's fixed
 * attributes, then those of each group the user belongs to (memberOf, matched by DN or by CN,
 * case-insensitively). Vendor attributes are written as RFC 2865 §5.26 recommends: Vendor-Id,
 * then one vendor type, length and string value.
 */
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

/** The CN of a DN (`CN=VPN Users,OU=…` → `vpn users`), or the name itself, lower-cased. */
function groupNames(memberOf: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const g of memberOf) {
    const lower = g.toLowerCase();
    names.add(lower);
    const cn = /^cn=((?:\\.|[^,])+)/i.exec(g)?.[1];
    if (cn) names.add(cn.toLowerCase());
  }
  return names;
}

/** The groups of the client's `groupAttributes` the user is in, by their configured names. */
export function matchedGroups(client: RadiusClientConfig, memberOf: readonly string[]): string[] {
  if (client.groupAttributes.length === 0) return [];
  const names = groupNames(memberOf);
  return client.groupAttributes.filter((g) => names.has(g.group.toLowerCase())).map((g) => g.group);
}

export function acceptAttributes(client: RadiusClientConfig, groups: readonly string[]): ReplyAttribute[] {
  const out = client.attributes.map(encodeAttribute);
  for (const g of client.groupAttributes) if (groups.includes(g.group)) out.push(...g.attributes.map(encodeAttribute));
  return out;
}
