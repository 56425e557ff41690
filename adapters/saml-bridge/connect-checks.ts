/**
 * What `check-config --connect` tries for the bridge: each upstream resolved exactly as the
 * running adapter would — its pinned certificates parsed, its metadata read (the file) or
 * fetched (the URL, with the adapter's own size, redirect and time limits), and an entity ID,
 * an HTTP-Redirect SSO endpoint and a signing certificate found.
 */
import pino from 'pino';
import type { ConnectCheck } from '../../src/sdk/adapter.js';
import type { SamlBridgeConfig } from './config.js';
import { Upstream } from './upstream.js';

function messageOf(err: unknown): string {
  const detail = (err as { detail?: unknown } | null)?.detail;
  const text = typeof detail === 'string' ? detail : err instanceof Error ? err.message : String(err);
  // Upstream's own messages start with the key; the report line names it already.
  return text.replace(/^adapters\.samlBridge\.upstreams(\[\d+\]| \([^)]*\))\.\w+: /, '');
}

function problem(key: string, message: string): Error {
  return Object.assign(new Error(`${message}: check ${key}`), { key });
}

export function samlBridgeConnectChecks(config: SamlBridgeConfig, ctx: { key(path: string): string }): ConnectCheck[] {
  const logger = pino({ enabled: false });
  return config.upstreams.map((u, i) => {
    const source = u.metadataUrl !== undefined ? 'metadataUrl' : u.metadata !== undefined ? 'metadata' : 'signingCert';
    const key = ctx.key(`upstreams[${i}].${source}`);
    return {
      key,
      what: u.metadataUrl !== undefined ? `upstream ${u.name} metadata ${u.metadataUrl}` : `upstream ${u.name}`,
      async run() {
        let upstream: Upstream;
        try {
          upstream = new Upstream(u, i, logger);
        } catch (err) {
          throw problem(ctx.key(`upstreams[${i}].signingCert`), messageOf(err));
        }
        try {
          await upstream.start();
          await upstream.ready();
          const r = upstream.resolve();
          return `${r.entityId}, SSO ${r.ssoUrl}, ${r.certificates.length} signing certificate${r.certificates.length === 1 ? '' : 's'}`;
        } catch (err) {
          throw problem(key, messageOf(err));
        } finally {
          upstream.close();
        }
      },
    };
  });
}
