// A LogoutResponse says which request it answers and whether the logout succeeded.
import { SamlRejection } from '../rejection.js';
import { NS_SAMLP, attr } from '../../../src/sdk/adapter.js';
import { single } from './read-element.js';
import { need, type RequestCheck } from './context.js';

export const readLogoutStatus: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the response');
  const rp = need(ctx.rp, 'the relying party');
  const status = single(root, NS_SAMLP, 'Status', 'LogoutResponse', rp.name);
  const code = status ? single(status, NS_SAMLP, 'StatusCode', 'LogoutResponse', rp.name) : null;
  if (!code) throw new SamlRejection('MALFORMED_XML', 'the LogoutResponse has no StatusCode', { relyingParty: rp.name });
  ctx.statusCode = attr(code, 'Value') ?? undefined;
  ctx.inResponseTo = attr(root, 'InResponseTo') ?? undefined;
};
