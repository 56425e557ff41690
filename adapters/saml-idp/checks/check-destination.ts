// The request was addressed to this endpoint of this IdP.
import { SamlRejection, clip } from '../rejection.js';
import { need, type RequestCheck } from './context.js';

export const checkDestination: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the request');
  const rp = need(ctx.rp, 'the relying party');
  const expected = ctx.kind === 'AuthnRequest' ? ctx.idp.ssoUrl : ctx.idp.sloUrl;
  const destination = root.getAttribute('Destination');
  // Bindings §3.4.5.2 / §3.5.5.2: a signed message must carry Destination and the recipient
  // must check it equals the URL it arrived at; an unsigned one is checked when present.
  if (destination === null || destination === '') {
    if (ctx.signed) throw new SamlRejection('BAD_DESTINATION', 'the signed request has no Destination', { relyingParty: rp.name });
    return;
  }
  if (destination !== expected) {
    throw new SamlRejection('BAD_DESTINATION', `the request is addressed to ${clip(destination)}, not to ${expected}`, { relyingParty: rp.name });
  }
};
