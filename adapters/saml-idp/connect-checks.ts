/**
 * What `check-config --connect` tries for the IdP: each relying party with metadata (a file or
 * a URL) or certificates is loaded exactly as the running adapter loads it — the URL fetched
 * with the registry's own limits, the XML parsed, the certificates read — so a wrong URL, an SP
 * answering 404 or a truncated certificate file is found before the first sign-in.
 */
import pino from 'pino';
import type { ConnectCheck } from '../../src/sdk/adapter.js';
import { systemClock } from '../../src/sdk/adapter.js';
import type { SamlIdpConfig } from './config.js';
import { RelyingPartyRegistry } from './relying-parties.js';

function problem(key: string, message: string): Error {
  return Object.assign(new Error(`${message}: check ${key}`), { key });
}

export function samlIdpConnectChecks(config: SamlIdpConfig, ctx: { key(path: string): string }): ConnectCheck[] {
  return config.relyingParties.flatMap((rp, i): ConnectCheck[] => {
    const at = (field: string) => ctx.key(`relyingParties[${i}].${field}`);
    const source = rp.metadataUrl !== undefined ? 'metadataUrl' : rp.metadata !== undefined ? 'metadata' : rp.cert !== undefined ? 'cert' : rp.encryptionCert !== undefined ? 'encryptionCert' : null;
    if (source === null) return [];
    return [
      {
        key: at(source),
        what: rp.metadataUrl !== undefined ? `relying party ${rp.name} metadata ${rp.metadataUrl}` : `relying party ${rp.name}`,
        async run() {
          // The registry logs why a fetch failed and keeps going; here that reason is the answer.
          const reasons: string[] = [];
          const logger = pino({ level: 'warn' }, { write: (line: string) => void reasons.push(String((JSON.parse(line) as { err?: unknown }).err ?? 'unknown')) });
          let registry: RelyingPartyRegistry;
          try {
            registry = new RelyingPartyRegistry([rp], { clock: systemClock, logger });
          } catch (err) {
            const key = source === 'metadataUrl' ? at('cert') : at(source);
            throw problem(key, err instanceof Error ? err.message : String(err));
          }
          try {
            await registry.start();
          } finally {
            registry.close();
          }
          const loaded = registry.byName(rp.name);
          if (!loaded) throw problem(at('metadataUrl'), `the metadata could not be loaded (${reasons.at(-1) ?? 'no answer'})`);
          return `${loaded.entityId}, ${loaded.acs.length} ACS, ${loaded.signingCerts.length} signing certificate${loaded.signingCerts.length === 1 ? '' : 's'}`;
        },
      },
    ];
  });
}
