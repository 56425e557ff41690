import { readAccessRequest } from '../wire/read-request.js';
import type { Step } from '../exchange.js';

/** RFC 2865 §3: a packet that is not a well-formed Access-Request is silently discarded. */
export const readRequest: Step = async (x) => {
  const r = readAccessRequest(x.datagram);
  if ('problem' in r) {
    x.deps.log.debug({ from: `${x.from.address}:${x.from.port}`, problem: r.problem, bytes: x.datagram.length }, 'malformed RADIUS packet discarded');
    return 'drop';
  }
  x.request = r;
  return 'next';
};
