// ForceAuthn, IsPassive, NameIDPolicy and RequestedAuthnContext are read as the schema allows them.
import { SamlRejection } from '../rejection.js';
import { NS_SAML, NS_SAMLP, attr, children } from '../../../src/sdk/adapter.js';
import { single, textOf } from './read-element.js';
import { need, type RequestCheck, type RequestedAuthnContext } from './context.js';

const COMPARISONS = new Set(['exact', 'minimum', 'maximum', 'better']);

function bool(value: string | null, name: string, rp: string): boolean {
  // xs:boolean: "true", "false", "1", "0".
  if (value === null || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new SamlRejection('MALFORMED_XML', `${name} is not a boolean`, { relyingParty: rp });
}

export const readAuthnOptions: RequestCheck = (ctx) => {
  const root = need(ctx.root, 'the request');
  const rp = need(ctx.rp, 'the relying party');
  // SAML Core §3.4.1: ForceAuthn asks for fresh authentication; IsPassive forbids any interaction.
  ctx.forceAuthn = bool(attr(root, 'ForceAuthn'), 'ForceAuthn', rp.name);
  ctx.isPassive = bool(attr(root, 'IsPassive'), 'IsPassive', rp.name);
  const policy = single(root, NS_SAMLP, 'NameIDPolicy', 'request', rp.name);
  ctx.nameIdFormat = (policy ? attr(policy, 'Format') : null) ?? undefined;
  const requested = single(root, NS_SAMLP, 'RequestedAuthnContext', 'request', rp.name);
  let context: RequestedAuthnContext | undefined;
  if (requested) {
    const comparison = attr(requested, 'Comparison') ?? 'exact';
    if (!COMPARISONS.has(comparison)) throw new SamlRejection('MALFORMED_XML', 'RequestedAuthnContext has an unknown Comparison', { relyingParty: rp.name });
    // Decl references name no class we could ever match; only ClassRefs are honoured.
    const classRefs = children(requested, NS_SAML, 'AuthnContextClassRef').map(textOf).filter((v) => v !== '');
    if (classRefs.length > 0) context = { comparison: comparison as RequestedAuthnContext['comparison'], classRefs };
  }
  ctx.requestedAuthnContext = context;
};
