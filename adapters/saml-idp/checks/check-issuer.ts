// The request names its issuer, and the issuer is a configured relying party.
import { SamlRejection, clip } from '../rejection.js';
import { NS_SAML, onlyChild, textOf } from '../xml.js';
import { need, type RequestCheck } from './context.js';

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

export const checkIssuer: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the request');
  // SAML Profiles §4.1.4.1 (AuthnRequest) and §4.4.4.1 (LogoutRequest): Issuer is required and
  // its Format, when given, must be the entity format (Core §2.2.5).
  const issuer = onlyChild(root, NS_SAML, 'Issuer', 'request');
  if (!issuer || textOf(issuer) === '') throw new SamlRejection('MISSING_ISSUER', 'the request does not name its issuer');
  const format = issuer.getAttribute('Format');
  if (format && format !== ENTITY_FORMAT) throw new SamlRejection('MISSING_ISSUER', 'the Issuer has a Format other than entity');
  const entityId = textOf(issuer);
  const rp = ctx.relyingParties.byEntityId(entityId);
  if (!rp) {
    const pending = ctx.relyingParties.isPending(entityId);
    throw new SamlRejection(
      'UNKNOWN_ISSUER',
      pending
        ? `the relying party ${clip(entityId)} is configured but its metadata could not be loaded yet`
        : `the issuer ${clip(entityId)} is not a configured relying party`,
    );
  }
  ctx.rp = rp;
};
