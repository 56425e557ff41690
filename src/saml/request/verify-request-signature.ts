// Signed when the sender must sign; the signature verifies with a pinned key only; values are re-read from the signed bytes.
import type { KeyObject } from 'node:crypto';
import { attr } from '../../xml/index.js';
import { checkSignatureForm } from '../signature/signature-form.js';
import { pinnedPublicKeys } from '../signature/pinned-keys.js';
import { readSignedElement, verifyWithPinnedKeys } from '../signature/verify-enveloped.js';
import { verifyQuerySignature } from '../signature/verify-query-signature.js';
import { NS_SAMLP, need, refuse, type RequestCheck, type RequestContext, type RequestFailure } from './context.js';
import { issuerOf } from './read-request-issuer.js';

function keysOf(ctx: RequestContext, certificates: readonly string[]): KeyObject[] | RequestFailure {
  try {
    return pinnedPublicKeys(certificates, 'the relying party');
  } catch (err) {
    // A configured certificate that cannot verify anything (EC, RSA-1024): the signature cannot be trusted.
    return refuse(ctx, 'SIGNATURE_INVALID', `the request is signed, but ${(err as Error).message}`);
  }
}

export const verifyRequestSignature: RequestCheck = (ctx) => {
  const received = need(ctx.received, 'the message');
  const signer = need(ctx.signer, 'the signer');
  const signature = need(ctx.signature, 'the Signature');
  const { kind } = ctx.expectations;
  const query = ctx.message.querySignature;

  // Bindings §3.4.4.1: with HTTP-Redirect any XML signature must have been removed before
  // encoding; the query signature is the only one.
  if (ctx.message.binding === 'redirect' && signature !== null) {
    return refuse(ctx, 'SIGNATURE_INVALID', `an HTTP-Redirect ${kind} must not carry an XML signature`);
  }
  if (query === undefined && signature === null) {
    if (signer.signatureRequired) return refuse(ctx, 'SIGNATURE_REQUIRED', `the ${kind} is not signed, but this relying party must sign its requests`);
    ctx.root = received;
    ctx.signed = false;
    return undefined;
  }
  if (signer.certificates.length === 0) {
    return refuse(ctx, 'SIGNATURE_INVALID', `the ${kind} is signed, but no certificate is configured for this relying party`);
  }

  if (query !== undefined) {
    // The query signature covers the whole deflated message (Bindings §3.4.4.1): what was received is what was signed.
    const keys = keysOf(ctx, signer.certificates);
    if (!Array.isArray(keys)) return keys;
    const verified = verifyQuerySignature(query, keys);
    if (!verified.ok) return refuse(ctx, verified.reason, `the ${kind} signature: ${verified.detail}`);
    ctx.root = received;
    ctx.signed = true;
    return undefined;
  }

  const enveloped = signature as NonNullable<typeof signature>;
  const form = checkSignatureForm(enveloped, received, kind);
  if (form !== undefined) return refuse(ctx, form.reason, form.detail);
  const keys = keysOf(ctx, signer.certificates);
  if (!Array.isArray(keys)) return keys;
  const verified = verifyWithPinnedKeys(ctx.message.xml, enveloped, keys);
  if (!verified.ok) return refuse(ctx, verified.reason, `the ${kind} signature: ${verified.detail}`);
  const signed = readSignedElement(verified.signedXml, NS_SAMLP, kind, attr(received, 'ID'));
  if (!signed.ok) return refuse(ctx, signed.reason, signed.detail);
  // The sender was chosen by the received Issuer; the signed one must be the same.
  const signedIssuer = issuerOf(ctx, signed.element);
  if (typeof signedIssuer !== 'string' || signedIssuer !== ctx.issuer) return refuse(ctx, 'WRAPPING', `the signed ${kind} names another issuer`);
  ctx.root = signed.element;
  ctx.signed = true;
  return undefined;
};
