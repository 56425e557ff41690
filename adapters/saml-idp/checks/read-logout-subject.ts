// A LogoutRequest names the principal (NameID) and, usually, the session indexes to end.
import { SamlRejection } from '../rejection.js';
import { NS_SAML, NS_SAMLP, attr, children, parseInstant } from '../../../src/sdk/adapter.js';
import { single, textOf } from './read-element.js';
import { need, type RequestCheck } from './context.js';

export const readLogoutSubject: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the request');
  const rp = need(ctx.rp, 'the relying party');
  // SAML Core §3.7.1: exactly one of BaseID, NameID or EncryptedID; we issue plain NameIDs.
  const nameId = single(root, NS_SAML, 'NameID', 'LogoutRequest', rp.name);
  if (!nameId || textOf(nameId) === '') throw new SamlRejection('MALFORMED_XML', 'the LogoutRequest has no NameID', { relyingParty: rp.name });
  ctx.nameId = textOf(nameId);
  ctx.sessionIndexes = children(root, NS_SAMLP, 'SessionIndex').map(textOf);
  const notOnOrAfter = attr(root, 'NotOnOrAfter');
  if (notOnOrAfter !== null && !((parseInstant(notOnOrAfter) ?? -Infinity) > ctx.now)) {
    throw new SamlRejection('STALE_REQUEST', 'the LogoutRequest has expired (NotOnOrAfter)', { relyingParty: rp.name });
  }
};
