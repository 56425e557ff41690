/**
 * From a verified upstream assertion to what factorgate needs: the value that finds the user
 * (NameID or an attribute, compared with their UPN, email or username), and the external
 * identity handed on to relying parties (attributes passed, renamed or dropped as configured;
 * whether the upstream context is one we trust as multi-factor).
 */
import type { ExternalIdentity } from '../../src/sdk/adapter.js';
import type { VerifiedUpstreamAssertion } from '../../src/sdk/adapter.js';
import type { UpstreamConfig } from './config.js';

/** The lookup value, or null when the assertion lacks it (or carries several: ambiguous). */
export function lookupValue(assertion: VerifiedUpstreamAssertion, lookup: UpstreamConfig['lookup']): string | null {
  if (lookup.from === 'nameId') return assertion.nameId.value.trim() || null;
  const values = assertion.attributes[lookup.from] ?? [];
  const distinct = [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
  return distinct.length === 1 ? distinct[0]! : null;
}

export function passedAttributes(assertion: VerifiedUpstreamAssertion, upstream: Pick<UpstreamConfig, 'attributes' | 'passAllAttributes'>): ExternalIdentity['attributes'] {
  const out = new Map<string, string[]>();
  const listed = new Set<string>();
  for (const a of upstream.attributes) {
    listed.add(a.name);
    const values = assertion.attributes[a.name];
    if (values === undefined) continue;
    const to = a.as ?? a.name;
    out.set(to, [...(out.get(to) ?? []), ...values]);
  }
  if (upstream.passAllAttributes) {
    for (const [name, values] of Object.entries(assertion.attributes)) {
      if (!listed.has(name) && !out.has(name)) out.set(name, [...values]);
    }
  }
  return [...out].map(([name, values]) => ({ name, values }));
}

export function externalIdentity(provider: string, assertion: VerifiedUpstreamAssertion, upstream: UpstreamConfig): ExternalIdentity {
  const trusted = new Set(upstream.mfaAuthnContextClassRefs);
  return {
    provider,
    issuer: assertion.issuer,
    nameId: { value: assertion.nameId.value, format: assertion.nameId.format },
    attributes: passedAttributes(assertion, upstream),
    authnContextClassRefs: [...assertion.authnContextClassRefs],
    authnInstant: assertion.authnInstant,
    upstreamMultiFactor: assertion.authnContextClassRefs.some((ref) => trusted.has(ref)),
  };
}
