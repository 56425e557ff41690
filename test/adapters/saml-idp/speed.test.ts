/**
 * Request validation stays cheap (the issue: samlify's xmllint-wasm validator cost ~30 ms a
 * message). A signed HTTP-Redirect AuthnRequest from node-saml goes through the whole check
 * table — inflate, strict xmldom parse, issuer, RSA-SHA256 query signature, ACS, replay.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { decodeRedirect } from '../../../adapters/saml-idp/decode-message.js';
import { relyingPartySchema } from '../../../adapters/saml-idp/config.js';
import { RelyingPartyRegistry } from '../../../adapters/saml-idp/relying-parties.js';
import { AUTHN_REQUEST_CHECKS, runChecks } from '../../../adapters/saml-idp/validate-request.js';
import { nodeSamlSp, rpConfig, spIdentity, type IdpHost } from './support.js';

describe('validation cost', () => {
  it('validates a signed redirect-binding AuthnRequest in well under a millisecond or two', async () => {
    const id = spIdentity('speed');
    const base = 'https://idp.example.test/saml/idp';
    const sp = nodeSamlSp({ base, entityId: `${base}/metadata`, idpCertPem: id.keys.certPem } as IdpHost, id.name, { signed: true });
    const registry = new RelyingPartyRegistry([relyingPartySchema.parse(rpConfig(id))], { clock: new ManualClock(), logger: pino({ level: 'silent' }) });
    const queries: string[] = [];
    for (let i = 0; i < 300; i++) queries.push(new URL(await sp.saml.getAuthorizeUrlAsync('rs', undefined, {})).search.slice(1));
    const replay = { markUsed: async () => true };
    const idp = { entityId: `${base}/metadata`, ssoUrl: `${base}/sso`, sloUrl: `${base}/slo`, requestMaxAgeMs: 300_000 };
    const limits = { maxMessageBytes: 65536, maxInflatedBytes: 131072 };
    const run = (q: string) =>
      runChecks({ kind: 'AuthnRequest', message: decodeRedirect(q, 'SAMLRequest', limits), now: Date.now(), idp, relyingParties: registry, replay }, AUTHN_REQUEST_CHECKS);
    for (const q of queries.slice(0, 50)) await run(q);
    const start = performance.now();
    for (const q of queries.slice(50)) expect((await run(q)).acs?.url).toBe(id.acs);
    const perRequestMs = (performance.now() - start) / 250;
    console.log(`AuthnRequest validation: ${perRequestMs.toFixed(3)} ms per request`);
    expect(perRequestMs).toBeLessThan(3);
  });
});
