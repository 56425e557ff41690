// The message names one Issuer in the entity format, and the caller knows that sender.
import { attr, onlyChild, simpleText, type XmlElement } from '../../xml/index.js';
import { clip } from '../../kit/clip.js';
import { NS_SAML, need, refuse, type RequestCheck, type RequestContext, type RequestFailure } from './context.js';

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

/**
 * SAML Profiles §4.1.4.1 (AuthnRequest) and §4.4.4.1 (LogoutRequest, LogoutResponse): Issuer
 * is required; Core §2.2.5 allows no Format but the entity format. The text is every text node
 * joined, as XML-DSig digests it.
 */
export function issuerOf(ctx: RequestContext, message: XmlElement): string | RequestFailure {
  const issuer = onlyChild(message, NS_SAML, 'Issuer');
  const { kind } = ctx.expectations;
  if (issuer === null) return refuse(ctx, 'MISSING_ISSUER', `the ${kind} has more than one Issuer`);
  const value = issuer === undefined ? undefined : simpleText(issuer)?.trim();
  if (issuer === undefined || value === undefined || value === '') return refuse(ctx, 'MISSING_ISSUER', `the ${kind} does not name its issuer`);
  const format = attr(issuer, 'Format');
  if (format !== null && format !== ENTITY_FORMAT) return refuse(ctx, 'MISSING_ISSUER', `the Issuer has the Format ${clip(format, 80)}, not entity`);
  return value;
}

export const readRequestIssuer: RequestCheck = (ctx) => {
  const issuer = issuerOf(ctx, need(ctx.received, 'the message'));
  if (typeof issuer !== 'string') return issuer;
  const signer = ctx.expectations.signerFor(issuer);
  ctx.issuer = issuer;
  if (signer === undefined) return refuse(ctx, 'UNKNOWN_ISSUER', `the issuer ${clip(issuer)} is not a configured relying party`);
  ctx.signer = signer;
  return undefined;
};
