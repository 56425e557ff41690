/**
 * `factorgate check-config --connect`: tries what a valid configuration points at — the
 * PostgreSQL store, the directory servers, the SMTP server, the key files, and what each configured adapter declares
 * (upstream metadata URLs, pinned certificates) — all at once, each bounded by its own
 * configured timeout. The core knows no adapter by name: adapters contribute their checks
 * through `AdapterDefinition.connectChecks`.
 */
import type { AdapterDefinition, ConnectCheck } from '../../api/host-api.js';
import { writtenKey, type LoadedConfig } from '../config/load.js';
import { ldapChecks } from './ldap-checks.js';
import { smtpCheck } from './smtp-check.js';
import { keyChecks } from './key-checks.js';
import { storeCheck } from './store-check.js';

export interface ConnectResult {
  /** The key to look at, as written in the file. */
  key: string;
  what: string;
  ok: boolean;
  /** On success a short note; on failure what answered and what to check. */
  message: string;
}

export function connectChecks(loaded: LoadedConfig, defs: readonly AdapterDefinition[]): ConnectCheck[] {
  const key = (path: string) => writtenKey(loaded, path);
  const { host } = loaded;
  const checks: ConnectCheck[] = [];
  if (host.store.driver === 'postgres') checks.push(storeCheck(host.store.url, key));
  if (host.directory.type === 'ldap') checks.push(...ldapChecks(host.directory, key));
  if (host.delivery?.smtp) checks.push(smtpCheck(host.delivery.smtp, key));
  checks.push(...keyChecks(host, key));
  for (const def of defs) {
    if (!def.connectChecks || !loaded.adapters.has(def.name)) continue;
    const prefix = `adapters.${def.configKey}`;
    checks.push(...def.connectChecks(loaded.adapters.get(def.name), { key: (path) => key(`${prefix}.${path}`) }));
  }
  return checks;
}

/** Runs every check concurrently; results in the order of the checks. A check never throws here. */
export async function runConnectChecks(checks: readonly ConnectCheck[]): Promise<ConnectResult[]> {
  return Promise.all(
    checks.map(async (check): Promise<ConnectResult> => {
      try {
        return { key: check.key, what: check.what, ok: true, message: await check.run() };
      } catch (err) {
        const own = (err as { key?: unknown } | null)?.key;
        return {
          key: typeof own === 'string' ? own : check.key,
          what: check.what,
          ok: false,
          message: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  );
}
