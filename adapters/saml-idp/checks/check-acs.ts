// The response goes only to an assertion consumer service of this RP's metadata/configuration.
import { clip } from '../../../src/sdk/adapter.js';
import { SamlRejection } from '../rejection.js';
import { BINDINGS } from '../config.js';
import { attr } from '../../../src/sdk/adapter.js';
import { need, type RequestCheck } from './context.js';

export const checkAcs: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the request');
  const rp = need(ctx.rp, 'the relying party');
  const url = attr(root, 'AssertionConsumerServiceURL');
  const indexText = attr(root, 'AssertionConsumerServiceIndex');
  const protocolBinding = attr(root, 'ProtocolBinding');
  // SAML Core §3.4.1: the index and the URL/ProtocolBinding pair are mutually exclusive.
  if (indexText !== null && (url !== null || protocolBinding !== null)) {
    throw new SamlRejection('FOREIGN_ACS', 'the request gives both AssertionConsumerServiceIndex and a URL or ProtocolBinding', { relyingParty: rp.name });
  }
  // We answer with HTTP-POST only (Profiles §4.1.2: the response binding must not be Redirect).
  if (protocolBinding !== null && protocolBinding !== BINDINGS.post) {
    throw new SamlRejection('FOREIGN_ACS', `the requested response binding ${clip(protocolBinding, 80)} is not supported; use HTTP-POST`, { relyingParty: rp.name });
  }
  const candidates = rp.acs.filter((a) => a.binding === 'post');
  let acs;
  if (url !== null) {
    /*
     * Profiles §4.1.4.1: the IdP must ensure the ACS URL belongs to the requester. A URL that is
     * not byte-for-byte one of the RP's registered locations is refused, never "fixed up":
     * sending an assertion to an attacker's URL is the whole attack.
     */
    acs = candidates.find((a) => a.url === url);
    if (!acs) throw new SamlRejection('FOREIGN_ACS', `the assertion consumer URL ${clip(url)} is not registered for this relying party`, { relyingParty: rp.name });
  } else if (indexText !== null) {
    const index = Number(indexText);
    acs = candidates.find((a) => a.index === index);
    if (!acs) throw new SamlRejection('FOREIGN_ACS', `no HTTP-POST assertion consumer service with index ${clip(indexText, 10)}`, { relyingParty: rp.name });
  } else {
    // Metadata §2.2.3: the default endpoint is the one marked isDefault, else the first.
    acs = candidates.find((a) => a.isDefault) ?? candidates[0];
    if (!acs) throw new SamlRejection('FOREIGN_ACS', 'this relying party has no HTTP-POST assertion consumer service', { relyingParty: rp.name });
  }
  ctx.acs = acs;
};
