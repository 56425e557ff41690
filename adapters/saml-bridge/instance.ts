/**
 * The running SAML bridge: its upstreams (metadata, keys), the flow, the outstanding requests
 * and the `/metadata` and `/acs` routes. Loaded by index.ts only when `adapters.samlBridge` is
 * configured.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { BridgeFlow } from './bridge-flow.js';
import { durationToMs, type SamlBridgeConfig } from './config.js';
import { ADAPTER_NAME, MOUNT_PATH } from './names.js';
import type { CertificateChange } from './metadata-source.js';
import { OutstandingRequests, type BridgeTables } from './outstanding-requests.js';
import { spMetadata } from './sp-metadata.js';
import { Upstream } from './upstream.js';

export async function startSamlBridge(host: HostApi<BridgeTables>, config: SamlBridgeConfig): Promise<AdapterInstance> {
  const base = `${host.publicUrl}${MOUNT_PATH}`;
  const entityId = config.entityId ?? `${base}/metadata`;
  const acsUrl = `${base}/acs`;
  const signing = host.keys.current;
  if (!signing.privateKey) throw new Error('saml-bridge: the current signing key has no private key (AuthnRequests are signed)');
  const signingKeyPem = signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const logger = host.logger.child({ adapter: ADAPTER_NAME });

  // A change of the keys an upstream signs with is a security event: audited, not only logged.
  const auditCertificateChange = (change: CertificateChange) =>
    host.audit.record({
      event: 'upstream-metadata',
      result: 'info',
      adapter: ADAPTER_NAME,
      detail: `upstream ${change.upstream} (${change.entityId}): signing certificates changed from ${change.previousFingerprints.join(', ')} to ${change.fingerprints.join(', ')}`,
    });
  const upstreams = new Map(config.upstreams.map((u, i) => [u.name, new Upstream(u, i, logger, auditCertificateChange)] as const));
  for (const u of upstreams.values()) await u.start();
  const requests = new OutstandingRequests(host.db, host.secrets, host.clock, host.publicUrl, durationToMs(config.requestLifetime));
  const flow = new BridgeFlow({ host, upstreams, requests, entityId, acsUrl, signingKeyPem, maxResponseBytes: config.maxResponseBytes });
  for (const u of upstreams.values()) host.primaries.register(u.providerName, { begin: (input) => flow.begin(u, input) });

  const metadataXml = await spMetadata({ entityId, acsUrl, signingKeyPem, certificates: host.keys.published.map((k) => k.certificatePem) });

  // urlencoded grows base64 by up to a third again (+ / = escaped); the checks cap the field itself.
  const form = express.urlencoded({ extended: false, limit: Math.ceil(config.maxResponseBytes * 1.5) + 4096, parameterLimit: 10 });

  return {
    routes(router) {
      router.get('/metadata', (_req, res) => {
        res.type('application/samlmetadata+xml').set('Cache-Control', 'public, max-age=3600').send(metadataXml);
      });
      router.post('/acs', form, (req: Request, res: Response) => flow.acs(req, res));
      // An oversized post is refused like any bad Response: audited, a neutral page.
      router.use('/acs', (err: unknown, req: Request, res: Response, next: NextFunction) => {
        if ((err as { type?: string }).type === 'entity.too.large') {
          void flow.refuse(req, res, { reason: 'TOO_LARGE', detail: `posted body over ${config.maxResponseBytes} bytes of SAMLResponse`, status: 413 }).catch(next);
          return;
        }
        next(err);
      });
    },
    // The bridge begins challenges on behalf of the requesting adapter, never for itself.
    async resume(_outcome, req, res) {
      host.pages.error(req, res, 400, 'error.BAD_REQUEST');
    },
    async ready() {
      for (const u of upstreams.values()) await u.ready();
    },
    async close() {
      for (const u of upstreams.values()) u.close();
    },
  };
}
