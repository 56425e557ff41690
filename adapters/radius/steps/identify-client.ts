import type { Step } from '../exchange.js';

/** RFC 2865 §3: requests from a client with no shared secret here are silently discarded, and logged. */
export const identifyClient: Step = async (x) => {
  const client = x.deps.clients.find(x.from.address);
  if (client) {
    x.client = client;
    return 'next';
  }
  x.deps.logOnce(x.from.address, 'unknown-client', { from: `${x.from.address}:${x.from.port}`, reason: 'UNKNOWN_CLIENT', userName: x.request.userName }, 'RADIUS request from an unknown client dropped');
  return 'drop';
};
