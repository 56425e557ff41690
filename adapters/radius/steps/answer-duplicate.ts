import { DuplicateCache } from '../duplicate-cache.js';
import type { Step } from '../exchange.js';

/**
 * RFC 5080 §2.2.2: a retransmission (same source, identifier and Request Authenticator) gets
 * the reply already sent and is not processed again; one arriving while the first is still
 * being processed is dropped, the first one's reply answers it. Checked after the
 * Message-Authenticator, so an unauthenticated packet cannot fetch a cached reply.
 */
export const answerDuplicate: Step = async (x) => {
  const key = DuplicateCache.key(x.from.address, x.from.port, x.request.identifier, x.request.authenticator);
  const seen = x.deps.duplicates.claim(key, x.deps.host.clock.now());
  if (!seen.seen) {
    x.duplicateKey = key;
    return 'next';
  }
  x.deps.stats.duplicates += 1;
  x.log.debug({ cached: seen.reply !== null }, 'duplicate RADIUS request answered from the cache');
  if (!seen.reply) return 'drop';
  x.resent = seen.reply;
  return 'answered';
};
