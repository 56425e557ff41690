// RelayState is at most 80 bytes; it is echoed back unchanged, never interpreted.
import { SamlRejection } from '../rejection.js';
import type { RequestCheck } from './context.js';

/* SAML Bindings §3.4.3 and §3.5.3: RelayState MUST NOT exceed 80 bytes. */
export const MAX_RELAY_STATE_BYTES = 80;

export const checkRelayState: RequestCheck = (ctx) => {
  const relayState = ctx.message.relayState;
  if (relayState !== undefined && Buffer.byteLength(relayState, 'utf8') > MAX_RELAY_STATE_BYTES) {
    throw new SamlRejection('RELAY_STATE_TOO_LONG', `RelayState is ${Buffer.byteLength(relayState, 'utf8')} bytes; SAML allows at most ${MAX_RELAY_STATE_BYTES}`, {
      relyingParty: ctx.rp?.name,
    });
  }
};
