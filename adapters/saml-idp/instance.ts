/**
 * The running SAML IdP: relying parties, the SSO and SLO flows, the response issuer and its
 * routes. Loaded by index.ts only when `adapters.samlIdp` is configured.
 */
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { SamlSigner } from '../../src/sdk/adapter.js';
import type { SamlIdpConfig } from './config.js';
import { ResponseIssuer } from './issue-response.js';
import { idpMetadata } from './metadata.js';
import { RelyingPartyRegistry } from './relying-parties.js';
import { guardRejections, mountRoutes } from './routes.js';
import { ADAPTER_NAME, MOUNT_PATH } from './session-data.js';
import { SloFlow } from './slo-flow.js';
import { SsoFlow } from './sso-flow.js';

export interface SamlIdpInstance extends AdapterInstance {
  readonly relyingParties: RelyingPartyRegistry;
  readonly entityId: string;
}

export async function startSamlIdp(host: HostApi, config: SamlIdpConfig): Promise<SamlIdpInstance> {
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
