/**
 * The forms-proxy adapter: factorgate as a reverse proxy in front of web apps that have their
 * own form login. The app's "login succeeded" reply is held until the second factor is done,
 * then released once. See README.md for the flow and a worked configuration.
 *
 * This file is what every start registers (name, schema, tables, sweeps); the proxy itself
 * (instance.ts: listeners, pipeline, http-proxy-3) is imported only when the adapter is
 * configured, so a host without it does not load it.
 */
import type { AdapterDefinition, HostApi } from '../../src/sdk/adapter.js';
import { formsProxyConfigSchema, type FormsProxyConfig } from './config.js';
import { heldLoginContext, type FormsProxyTables } from './pending-logins.js';
import { ADAPTER_NAME, MOUNT_PATH } from './routes.js';
import type { FormsProxyInstance } from './instance.js';
import * as tablesMigration from './migrations/001-tables.js';

export { formsProxyConfigSchema, type FormsProxyConfig, type FormsProxyAppConfig } from './config.js';
export type { FormsProxyInstance } from './instance.js';
export { MOUNT_PATH } from './routes.js';

/** Creates the running proxy (its module is loaded here, at the first call). */
export async function createFormsProxy(host: HostApi<FormsProxyTables>, config: FormsProxyConfig): Promise<FormsProxyInstance> {
  const { startFormsProxy } = await import('./instance.js');
  return startFormsProxy(host, config);
}

export const formsProxyAdapter: AdapterDefinition<FormsProxyConfig, FormsProxyTables> = {
  name: ADAPTER_NAME,
  configKey: 'formsProxy',
  hostApi: '^2.0',
  configSchema: formsProxyConfigSchema,
  mountPath: MOUNT_PATH,
  create: createFormsProxy,
  migrations: { '001-tables': tablesMigration },
  apps: (config) => config.apps.map((app) => app.name),
  // A held login lives as long as its challenge; an app session until its own expiry.
  expiry: [
    { table: 'forms_proxy_pending', column: 'expires_at' },
    { table: 'forms_proxy_sessions', column: 'expires_at' },
  ],
  sealedColumns: [{ table: 'forms_proxy_pending', key: 'id', column: 'held_enc', context: (row) => heldLoginContext(String(row.id)) }],
  demoConfig(ctx) {
    // The demo app sits next to the main listener: proxy on port+1, legacy app on port+2.
    const main = new URL(ctx.publicUrl);
    const port = Number(main.port || (main.protocol === 'https:' ? 443 : 80));
    return {
      apps: [
        {
          name: 'intranet',
          listen: { port: port + 1 },
          upstream: `http://127.0.0.1:${port + 2}`,
          demoUpstream: true,
          loginPaths: ['/Account/Login'],
          fields: { username: 'username', password: 'password' },
          success: { status: [302], setCookie: '.ASPXAUTH' },
          publicPaths: ['/public/**'],
          logoutPath: '/logout',
        },
      ],
    };
  },
};

export default formsProxyAdapter;
