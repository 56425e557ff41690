// A LogoutResponse says which request it answers and whether the logout succeeded.
import { SamlRejection } from '../rejection.js';
import { NS_SAMLP, onlyChild } from '../xml.js';
import { need, type RequestCheck } from './context.js';

export const readLogoutStatus: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the response');
  const rp = need(ctx.rp, 'the relying party');
  const status = onlyChild(root, NS_SAMLP, 'Status', 'LogoutResponse');
  const code = status ? onlyChild(status, NS_SAMLP, 'StatusCode', 'LogoutResponse') : null;
  if (!code) throw new SamlRejection('MALFORMED_XML', 'the LogoutResponse has no StatusCode', { relyingParty: rp.name });
  ctx.statusCode = code.getAttribute('Value') ?? undefined;
  ctx.inResponseTo = root.getAttribute('InResponseTo') ?? undefined;
};
