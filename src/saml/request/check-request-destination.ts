// The message was addressed to the endpoint it arrived at.
import { attr } from '../../xml/index.js';
import { clip } from '../../kit/clip.js';
import { need, refuse, type RequestCheck } from './context.js';

/*
 * SAML Bindings §3.4.5.2 and §3.5.5.2: a signed message must carry Destination and the
 * recipient must check it is the URL the message arrived at; an unsigned one is checked when
 * present, so a request meant for another IdP cannot be replayed here.
 */
export const checkRequestDestination: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the trusted message');
  const destination = attr(root, 'Destination');
  const expected = ctx.expectations.destination;
  if (destination === null || destination === '') {
    return ctx.signed ? refuse(ctx, 'BAD_DESTINATION', `the signed ${ctx.expectations.kind} has no Destination`) : undefined;
  }
  if (destination !== expected) return refuse(ctx, 'BAD_DESTINATION', `the ${ctx.expectations.kind} is addressed to ${clip(destination)}, not to ${expected}`);
  return undefined;
};
