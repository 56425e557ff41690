// The Response is addressed to our ACS URL.
import { clip, fail, need, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

/*
 * SAML Bindings §3.5.5.2: a signed message sent over HTTP-POST must carry Destination, and the
 * recipient must check it is the location the message arrived at. We require it always, so a
 * Response meant for another SP of the same IdP cannot be posted to us.
 */
export const checkDestination: ResponseCheck = (ctx) => {
  const destination = attr(need(ctx.response, 'the Response'), 'Destination');
  if (destination !== ctx.expectations.acsUrl) {
    return fail('DESTINATION', `Destination ${clip(destination)} is not ${clip(ctx.expectations.acsUrl)}`);
  }
  return undefined;
};
