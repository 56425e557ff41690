/**
 * Which configured client (NAS) a datagram comes from: its source address inside one of the
 * client's ranges. The first client whose ranges hold the address wins, in configuration order.
 */
import { BlockList, isIPv4 } from 'node:net';
import type { RadiusClientConfig } from './config.js';

export interface RadiusClient {
  config: RadiusClientConfig;
  secret: Buffer;
}

export class Clients {
  private readonly entries: Array<{ client: RadiusClient; ranges: BlockList }>;

  constructor(configs: readonly RadiusClientConfig[]) {
    this.entries = configs.map((config) => {
      const ranges = new BlockList();
      for (const a of config.addresses) {
        const [addr = '', bits] = a.split('/');
        const type = isIPv4(addr) ? 'ipv4' : 'ipv6';
        if (bits === undefined) ranges.addAddress(addr, type);
        else ranges.addSubnet(addr, Number(bits), type);
      }
      return { client: { config, secret: Buffer.from(config.secret, 'utf8') }, ranges };
    });
  }

  /** The client sending from `address` (an IPv4-mapped IPv6 address counts as its IPv4 one). */
  find(address: string): RadiusClient | null {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const addr = mapped ?? address;
    const type = isIPv4(addr) ? 'ipv4' : 'ipv6';
    for (const e of this.entries) if (e.ranges.check(addr, type)) return e.client;
    return null;
  }
}
