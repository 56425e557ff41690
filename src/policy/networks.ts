/**
 * Client addresses against CIDR lists, with node's BlockList (IPv4 and IPv6). The address is the
 * one Express derived through `server.trustedProxies` (`req.ip`): an X-Forwarded-For from any
 * other peer was never read, so it cannot place a client inside a trusted network.
 */
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address 10.1.2.3. */
export function plainAddress(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** The first network of `networks` that holds `ip`, or null (also for a missing address). */
export function matchingNetwork(ip: string | undefined, networks: readonly string[]): string | null {
  if (ip === undefined) return null;
  const addr = plainAddress(ip);
  const family = isIP(addr);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const net of networks) {
    const [base = '', bits] = net.split('/');
    const netFamily = isIP(base);
    if (netFamily !== family) continue;
    const list = new BlockList();
    if (bits === undefined) list.addAddress(base, type);
    else list.addSubnet(base, Number(bits), type);
    if (list.check(addr, type)) return net;
  }
  return null;
}
