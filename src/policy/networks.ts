/**
 * Client addresses against CIDR lists, with node's BlockList (IPv4 and IPv6). The address is the
 * one Express derived through `server.trustedProxies` (`req.ip`): an X-Forwarded-For from any
 * other peer was never read, so it cannot place a client inside a trusted network.
 *
 * A list's BlockLists are built once and kept beside the list (the parsed configuration is frozen,
 * so the same array comes back on every challenge request); a challenge only checks the address.
 */
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address 10.1.2.3. */
export function plainAddress(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

interface CompiledNetwork {
  net: string;
  family: 'ipv4' | 'ipv6';
  list: BlockList;
}

const compiled = new WeakMap<readonly string[], readonly CompiledNetwork[]>();

/** One BlockList per network, in the list's order (first match wins); networks of no family are left out. */
function compile(networks: readonly string[]): readonly CompiledNetwork[] {
  const hit = compiled.get(networks);
  if (hit) return hit;
  const out: CompiledNetwork[] = [];
  for (const net of networks) {
    const [base = '', bits] = net.split('/');
    const netFamily = isIP(base);
    if (netFamily === 0) continue;
    const family = netFamily === 4 ? 'ipv4' : 'ipv6';
    const list = new BlockList();
    if (bits === undefined) list.addAddress(base, family);
    else list.addSubnet(base, Number(bits), family);
    out.push({ net, family, list });
  }
  compiled.set(networks, out);
  return out;
}

/** The first network of `networks` that holds `ip`, or null (also for a missing address). */
export function matchingNetwork(ip: string | undefined, networks: readonly string[]): string | null {
  if (ip === undefined) return null;
  const addr = plainAddress(ip);
  const family = isIP(addr);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const n of compile(networks)) {
    if (n.family === type && n.list.check(addr, type)) return n.net;
  }
  return null;
}
