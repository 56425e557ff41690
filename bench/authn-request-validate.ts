/**
 * The cost of reading and checking one signed HTTP-Redirect AuthnRequest (node-saml as the SP):
 * the whole check table of adapters/saml-idp — inflate, strict xmldom parse, issuer, RSA-SHA256
 * query signature, ACS, replay — in this process, without HTTP. Baseline, same run: one raw
 * RSA-2048 SHA-256 signature verification (`crypto.verify` with the SP's public key), the one step
 * validation cannot avoid. Both by CPU time (`process.cpuUsage`), rounds alternated.
 *
 * This figure used to be a timed assertion in a unit test (≤ 3 ms per request, against ~30 ms for
 * samlify's xmllint-wasm validator it replaced); timed targets live here, not in tests.
 * `npx tsx bench/authn-request-validate.ts` runs it alone.
 */
import { createPublicKey, createSign, verify } from 'node:crypto';
import pino from 'pino';
import { ManualClock } from '../src/kit/clock.js';
import { decodeRedirect } from '../adapters/saml-idp/decode-message.js';
import { relyingPartySchema } from '../adapters/saml-idp/config.js';
import { RelyingPartyRegistry } from '../adapters/saml-idp/relying-parties.js';
import { AUTHN_REQUEST_CHECKS, runChecks } from '../adapters/saml-idp/validate-request.js';
import { ownCpuMsSince } from './scenarios/cpu.js';
import { nodeSamlSp, rpConfig, spIdentity, type IdpHost } from '../test/adapters/saml-idp/support.js';

export interface AuthnRequestValidateResult {
  /** CPU ms per validated AuthnRequest. */
  validateCpuMs: number;
  /** CPU ms per raw RSA-2048 SHA-256 verification. */
  rsaVerifyCpuMs: number;
  /** rsaVerifyCpuMs ÷ validateCpuMs. */
  ratio: number;
  requests: number;
}

export async function runAuthnRequestValidateBench(options: { requests?: number; rounds?: number } = {}): Promise<AuthnRequestValidateResult> {
  const requests = options.requests ?? 300;
  const rounds = options.rounds ?? 3;
  const id = spIdentity('bench-validate');
  const base = 'https://idp.example.test/saml/idp';
  const sp = nodeSamlSp({ base, entityId: `${base}/metadata`, idpCertPem: id.keys.certPem } as IdpHost, id.name, { signed: true });
  const registry = new RelyingPartyRegistry([relyingPartySchema.parse(rpConfig(id))], { clock: new ManualClock(), logger: pino({ level: 'silent' }) });
  const idp = { entityId: `${base}/metadata`, ssoUrl: `${base}/sso`, sloUrl: `${base}/slo`, requestMaxAgeMs: 300_000 };
  const limits = { maxMessageBytes: 65536, maxInflatedBytes: 131072 };
  const replay = { markUsed: async () => true };
  // Distinct requests (each its own ID and signature), made before anything is timed.
  const queries: string[] = [];
  for (let i = 0; i < requests * rounds + 50; i++) queries.push(new URL(await sp.saml.getAuthorizeUrlAsync('rs', undefined, {})).search.slice(1));
  const validate = async (q: string): Promise<void> => {
    const r = await runChecks({ kind: 'AuthnRequest', message: decodeRedirect(q, 'SAMLRequest', limits), now: Date.now(), idp, relyingParties: registry, replay }, AUTHN_REQUEST_CHECKS);
    if (r.acs?.url !== id.acs) throw new Error('the bench AuthnRequest was not accepted');
  };
  const publicKey = createPublicKey(id.keys.certPem);
  const data = Buffer.from(queries[0]!);
  const signature = createSign('sha256').update(data).sign(id.keys.keyPem);
  const rsaVerify = (): void => {
    if (!verify('sha256', data, publicKey, signature)) throw new Error('the bench signature did not verify');
  };
  for (const q of queries.slice(0, 50)) await validate(q);
  for (let i = 0; i < 200; i++) rsaVerify();
  let validateMs = 0;
  let rsaMs = 0;
  for (let r = 0; r < rounds; r++) {
    const batch = queries.slice(50 + r * requests, 50 + (r + 1) * requests);
    let t = process.cpuUsage();
    for (const q of batch) await validate(q);
    validateMs += ownCpuMsSince(t);
    t = process.cpuUsage();
    for (let i = 0; i < requests; i++) rsaVerify();
    rsaMs += ownCpuMsSince(t);
  }
  const validateCpuMs = validateMs / (requests * rounds);
  const rsaVerifyCpuMs = rsaMs / (requests * rounds);
  return { validateCpuMs, rsaVerifyCpuMs, ratio: rsaVerifyCpuMs / validateCpuMs, requests: requests * rounds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runAuthnRequestValidateBench({ requests: 500, rounds: 4 });
  console.log(`AuthnRequest validation: ${r.validateCpuMs.toFixed(3)} ms of CPU per request; raw RSA verify ${r.rsaVerifyCpuMs.toFixed(3)} ms; ratio ${r.ratio.toFixed(3)} (${r.requests} requests)`);
}
