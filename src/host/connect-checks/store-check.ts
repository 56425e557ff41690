/**
 * `check-config --connect` for a PostgreSQL store: one connection with the configured URL and a
 * `SELECT version()`. The URL may hold a password: only its host, port and database are ever
 * printed. PostgreSQL's SQLSTATE (Appendix A of its manual) says which part of the URL to fix.
 */
import type { ConnectCheck } from '../../api/host-api.js';
import { ConnectProblem } from './connect-problem.js';

type KeyOf = (path: string) => string;

const CONNECT_TIMEOUT_MS = 10_000;

/** `host:port/database` of a connection string, without user or password. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || ''}`;
  } catch {
    return 'the store URL';
  }
}

export function storeCheck(url: string, key: KeyOf): ConnectCheck {
  const urlKey = key('store.url');
  const target = where(url);
  return {
    key: urlKey,
    what: `PostgreSQL ${target}`,
    async run() {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      // A connection dropped after a failed start-up would otherwise be an unhandled 'error'.
      client.on('error', () => undefined);
      try {
        await client.connect();
        const r = await client.query<{ version: string }>('SELECT version()');
        return (r.rows[0]?.version ?? '').split(' on ')[0] ?? 'connected';
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        const message = err instanceof Error ? err.message : String(err);
        switch (code) {
          case '28P01':
          case '28000':
            throw new ConnectProblem(urlKey, `${target} refused the login (${message}): check the user and password in ${urlKey} (and the server's pg_hba.conf)`);
          case '3D000':
            throw new ConnectProblem(urlKey, `${target}: ${message}: check the database name in ${urlKey} (create it with createdb)`);
          default:
            throw new ConnectProblem(urlKey, `${target}: ${typeof code === 'string' ? `${code}: ` : ''}${message}: check the host, port and database in ${urlKey}, and the firewall`);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
