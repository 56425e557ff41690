/**
 * The SAML IdP adapter: factorgate as a SAML 2.0 identity provider. Relying parties send users
 * to `/saml/idp/sso`; they sign in at `/login`, pass the challenge, and return with a signed
 * Response. See README.md in this folder for a worked configuration, AD FS and Entra ID.
 */
import { samlIdpConnectChecks } from './connect-checks.js';
import type { AdapterDefinition, AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { SamlSigner } from '../../src/sdk/adapter.js';
import { samlIdpConfigSchema, type SamlIdpConfig } from './config.js';
import { ResponseIssuer } from './issue-response.js';
import { idpMetadata } from './metadata.js';
import { RelyingPartyRegistry } from './relying-parties.js';
import { guardRejections, mountRoutes } from './routes.js';
import { ADAPTER_NAME } from './session-data.js';
import { SloFlow } from './slo-flow.js';
import { SsoFlow } from './sso-flow.js';

export { samlIdpConfigSchema, type SamlIdpConfig } from './config.js';

export const MOUNT_PATH = '/saml/idp';

export interface SamlIdpInstance extends AdapterInstance {
  readonly relyingParties: RelyingPartyRegistry;
  readonly entityId: string;
}

export async function createSamlIdp(host: HostApi, config: SamlIdpConfig): Promise<SamlIdpInstance> {
  const base = `${host.publicUrl}${MOUNT_PATH}`;
  const entityId = config.entityId ?? `${base}/metadata`;
  const current = host.keys.current;
  if (!current.privateKey) throw new Error('saml-idp: the current signing key has no private key');
  const signer = new SamlSigner({ privateKey: current.privateKey, certificatePem: current.certificatePem });
  // The demo relying party (node-saml, its XML stack) is loaded only when configured: at start-up
  // it cost ≈ 40 ms of module loading for every host, demo or not.
  const demo = config.demoRelyingParty ? await import('./demo-rp.js') : undefined;
  const relyingParties = new RelyingPartyRegistry(
    demo ? [...config.relyingParties, demo.demoRelyingPartyConfig(base)] : config.relyingParties,
    { clock: host.clock, logger: host.logger.child({ adapter: ADAPTER_NAME }) },
  );
  await relyingParties.start();
  const requestMaxAgeMs = durationToMs(config.requestMaxAge);
  const issuer = new ResponseIssuer(
    { entityId, responseLifetimeMs: durationToMs(config.responseLifetime), clockSkewMs: durationToMs(config.clockSkew), pairwiseKey: host.secrets.deriveKey('pairwise nameid v1') },
    signer,
  );
  const sso = new SsoFlow({ host, relyingParties, issuer, signer, entityId, mountPath: MOUNT_PATH, sealTtlMs: Math.max(requestMaxAgeMs, host.server.challengeTtlMs) });
  const slo = new SloFlow({ host, relyingParties, signer, sso, entityId, mountPath: MOUNT_PATH, messageLifetimeMs: durationToMs(config.responseLifetime) });
  const idp = { entityId, ssoUrl: `${base}/sso`, sloUrl: `${base}/slo`, requestMaxAgeMs };
  const metadataXml = () => idpMetadata({ entityId, ssoUrl: idp.ssoUrl, sloUrl: idp.sloUrl, keys: host.keys.published, wantAuthnRequestsSigned: false });

  const guarded = guardRejections(host);

  return {
    relyingParties,
    entityId,
    routes(router) {
      demo?.mountDemoRp(router, { host, base, idpEntityId: entityId });
      mountRoutes(router, { host, idp, limits: { maxMessageBytes: config.maxMessageBytes, maxInflatedBytes: config.maxInflatedBytes }, relyingParties, sso, slo, metadata: metadataXml, mountPath: MOUNT_PATH });
    },
    // A refusal while answering the challenge POST is audited and shown like one at /sso/resume.
    resume: (outcome, req, res) => guarded((rq, rs) => sso.resume(outcome, rq, rs))(req, res),
    links: () => [
      ...(demo ? [{ label: 'demo SAML relying party', url: `${base}${demo.DEMO_RP_PATH}/` }] : []),
      { label: 'SAML IdP metadata', url: `${base}/metadata` },
    ],
    async close() {
      relyingParties.close();
    },
  };
}

export const samlIdpAdapter: AdapterDefinition<SamlIdpConfig> = {
  name: ADAPTER_NAME,
  configKey: 'samlIdp',
  hostApi: '^2.2',
  configSchema: samlIdpConfigSchema,
  mountPath: MOUNT_PATH,
  create: createSamlIdp,
  primaries: {
    requires: (config) => config.relyingParties.map((rp, i) => ({ path: `relyingParties[${i}].primary`, provider: rp.primary })).filter((r) => r.provider !== 'password'),
  },
  apps: (config) => [...config.relyingParties.map((rp) => rp.name), ...(config.demoRelyingParty ? ['demo-rp'] : [])],
  demoConfig: () => ({ demoRelyingParty: true }),
  connectChecks: samlIdpConnectChecks,
};
