// The Response answers a request of ours: InResponseTo present, the same on Response and confirmation.
import { clip, fail, need, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

/*
 * SAML Profiles §4.1.4.2 and §4.1.4.3: an SP-initiated Response carries InResponseTo (on the
 * Response and in the bearer SubjectConfirmationData) equal to the AuthnRequest's ID. The
 * bridge only ever starts the flow itself, so an unsolicited (IdP-initiated) Response is
 * refused: it is the form of login CSRF and of replaying a Response captured elsewhere.
 * Whether the id is outstanding is asked last, in consume-request-id, so that only a Response
 * that passed every other check uses it up.
 */
export const checkInResponseTo: ResponseCheck = (ctx) => {
  const onConfirmation = need(ctx.confirmationInResponseTo, 'the bearer InResponseTo');
  const onResponse = attr(need(ctx.response, 'the Response'), 'InResponseTo');
  if (onConfirmation === null || onConfirmation === '') return fail('IN_RESPONSE_TO', 'no InResponseTo in the bearer confirmation (unsolicited)');
  if (onResponse === null || onResponse === '') return fail('IN_RESPONSE_TO', 'no InResponseTo on the Response (unsolicited)');
  if (onResponse !== onConfirmation) {
    return fail('IN_RESPONSE_TO', `Response InResponseTo ${clip(onResponse)} differs from the confirmation's ${clip(onConfirmation)}`);
  }
  const expected = ctx.expectations.expectedRequestId;
  if (expected !== undefined && onResponse !== expected) {
    return fail('IN_RESPONSE_TO', `InResponseTo ${clip(onResponse)} is not the request this RelayState names`);
  }
  return undefined;
};
