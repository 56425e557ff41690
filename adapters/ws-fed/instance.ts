/**
 * The running WS-Federation IdP: realms, the sign-in and sign-out flows, the token issuer, the
 * federation metadata and the demo relying party. Loaded by index.ts only when `adapters.wsFed`
 * is configured.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { durationToMs } from '../../src/sdk/adapter.js';
import { SamlSigner } from '../../src/sdk/adapter.js';
import type { WsFedConfig } from './config.js';
import { DEMO_RP_PATH, demoRealmConfig, mountDemoRp } from './demo-rp.js';
import { TokenIssuer } from './issue-token.js';
import { FEDERATION_METADATA_PATH, FederationMetadata } from './metadata.js';
import { RealmRegistry, resolveRealm } from './realms.js';
import { guardRejections, mountRoutes } from './routes.js';
import { ADAPTER_NAME, MOUNT_PATH } from './session-data.js';
import { SignInFlow } from './sign-in-flow.js';
import { SignOutFlow } from './sign-out.js';

export function startWsFed(host: HostApi, config: WsFedConfig): AdapterInstance {
  const base = `${host.publicUrl}${MOUNT_PATH}`;
  const issuer = config.issuer ?? base;
  const current = host.keys.current;
  if (!current.privateKey) throw new Error('ws-fed: the current signing key has no private key');
  const signer = new SamlSigner({ privateKey: current.privateKey, certificatePem: current.certificatePem });
  const realmConfigs = config.demoRelyingParty ? [...config.realms, demoRealmConfig(base)] : config.realms;
  const realms = new RealmRegistry(realmConfigs);
  const allReplyUrls = new Set(realmConfigs.flatMap((r) => resolveRealm(r).replyUrls));
  const logger = host.logger.child({ adapter: ADAPTER_NAME });
  const signIn = new SignInFlow({
    host: { ...host, logger },
    realms,
    issuer: new TokenIssuer({ issuer, clockSkewMs: durationToMs(config.clockSkew) }, signer),
    mountPath: MOUNT_PATH,
    resumeTtlMs: 10 * 60_000,
  });
  const signOut = new SignOutFlow({ host, realms, allReplyUrls: () => allReplyUrls });
  const metadata = new FederationMetadata({ entityId: issuer, passiveEndpoint: base, keys: host.keys }, signer);

  const guarded = guardRejections({ ...host, logger });

  return {
    routes(router) {
      if (config.demoRelyingParty) mountDemoRp(router, { host, base, issuer, secure: host.publicUrl.startsWith('https:') });
      mountRoutes(router, { host: { ...host, logger }, limits: { maxContextBytes: config.maxContextBytes }, realms, signIn, signOut, metadata });
    },
    // A refusal while answering the challenge POST is audited and shown like one at /wsfed/resume.
    resume: (outcome, req, res) => guarded((rq, rs) => signIn.resume(outcome, rq, rs))(req, res),
    /*
     * The well-known metadata path lies outside the adapter's mount path (AD FS published it
     * there and tools look for it there), so it is answered here, before the host's routes: an
     * exact GET/HEAD on that one path, nothing else.
     */
    interceptRequest(req: IncomingMessage, res: ServerResponse): boolean {
      const path = (req.url ?? '').split('?')[0];
      if (path !== FEDERATION_METADATA_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      metadata.document().then(
        (xml) => {
          res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(xml) });
          res.end(req.method === 'HEAD' ? undefined : xml);
        },
        (err: unknown) => {
          logger.error({ err }, 'federation metadata could not be signed');
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('The federation metadata is unavailable.\n');
        },
      );
      return true;
    },
    links: () => [
      ...(config.demoRelyingParty ? [{ label: 'demo WS-Federation relying party', url: `${base}${DEMO_RP_PATH}/` }] : []),
      { label: 'WS-Federation metadata', url: `${host.publicUrl}${FEDERATION_METADATA_PATH}` },
    ],
  };
}
