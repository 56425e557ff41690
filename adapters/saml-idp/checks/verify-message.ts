// The SAML core's inbound-request checks (document, shape, issuer, signature, destination, age), mapped to a rejection.
import { verifyInboundRequest, type RequestFailureReason, type RequestSigner } from '../../../src/sdk/adapter.js';
import type { RelyingParty } from '../relying-parties.js';
import { SamlRejection, type RejectionReason } from '../rejection.js';
import type { RequestCheck } from './context.js';

/** The core's reasons as the IdP's audit records and error pages name them. */
const REASONS: Readonly<Record<RequestFailureReason, RejectionReason>> = {
  DOCTYPE: 'DOCTYPE',
  MALFORMED_XML: 'MALFORMED_XML',
  WRONG_MESSAGE: 'WRONG_MESSAGE',
  BAD_VERSION: 'BAD_VERSION',
  BAD_ID: 'BAD_ID',
  COMMENT: 'COMMENT',
  MISSING_ISSUER: 'MISSING_ISSUER',
  UNKNOWN_ISSUER: 'UNKNOWN_ISSUER',
  SIGNATURE_REQUIRED: 'SIGNATURE_REQUIRED',
  WRAPPING: 'SIGNATURE_WRAPPING',
  TRANSFORM: 'SIGNATURE_TRANSFORM',
  SHA1: 'WEAK_ALGORITHM',
  ALGORITHM: 'WEAK_ALGORITHM',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  BAD_DESTINATION: 'BAD_DESTINATION',
  STALE_REQUEST: 'STALE_REQUEST',
};

export const verifyMessage: RequestCheck = (ctx) => {
  let rp: RelyingParty | undefined;
  const signerFor = (issuer: string): RequestSigner | undefined => {
    rp = ctx.relyingParties.byEntityId(issuer);
    if (rp === undefined) return undefined;
    return {
      certificates: rp.signingCerts,
      // Logout messages from an RP we can verify must be signed: they end the user's session.
      signatureRequired: rp.requireSignedRequests || (ctx.kind !== 'AuthnRequest' && rp.signingCerts.length > 0),
    };
  };
  const result = verifyInboundRequest(
    { binding: ctx.message.binding, xml: ctx.message.xml, querySignature: ctx.message.querySignature },
    { kind: ctx.kind, destination: ctx.kind === 'AuthnRequest' ? ctx.idp.ssoUrl : ctx.idp.sloUrl, maxAgeMs: ctx.idp.requestMaxAgeMs, signerFor },
    ctx.now,
  );
  if (!result.ok) {
    const pending = result.reason === 'UNKNOWN_ISSUER' && result.issuer !== undefined && ctx.relyingParties.isPending(result.issuer);
    const detail = pending ? `the relying party ${JSON.stringify(result.issuer)} is configured but its metadata could not be loaded yet` : result.detail;
    throw new SamlRejection(REASONS[result.reason], detail, { relyingParty: rp?.name });
  }
  ctx.rp = rp;
  ctx.root = result.root;
  ctx.id = result.id;
  ctx.issueInstant = result.issueInstant;
  ctx.signed = result.signed;
};
