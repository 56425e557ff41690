import type { Kysely } from 'kysely';
import { HOST_API_VERSION, type HostApi } from '../../api/host-api.js';
import { checkAppPassword } from '../../primary-auth/check-app-password.js';
import { checkPrimaryPassword } from '../../primary-auth/check-password.js';
import { AppPasswords } from '../../users/app-passwords.js';
import { keyedState } from '../../store/adapter/keyed-state.js';
import { OwnTablesOnly } from '../../store/adapter/own-tables-only.js';
import { PrimaryProviders } from '../primary-registry.js';
import type { StartStep } from './start-context.js';

/** The services adapters share (HostApi 2.0: no store, config or host-wide box); each adapter gets its own view over them (load-adapters). */
export const buildHostApi: StartStep = (ctx) => {
  const { config, store, clock, directory, users, audit, regulation } = ctx;
  const appPasswords = new AppPasswords(store.db);
  ctx.passwords = {
    check: (input) => checkPrimaryPassword({ directory, users, audit, regulation, outsideGroup: ctx.outsideGroup }, input),
    checkAppPassword: (input) => checkAppPassword({ users, audit, regulation, appPasswords, clock }, input),
  };
  ctx.primaries = new PrimaryProviders({ begin: (input) => ctx.pending.create(input) });
  // No store, configuration or host-wide box here: an object literal of SharedHostServices cannot
  // carry them. A service added to HostApi is added here and reaches every adapter.
  ctx.shared = {
    version: HOST_API_VERSION,
    directory: ctx.directory,
    users: ctx.users,
    challenges: ctx.engine.api,
    login: ctx.primaries.loginApi(),
    primaries: ctx.primaries,
    sessions: ctx.sessions,
    audit: ctx.audit,
    regulation: ctx.regulation,
    passwords: ctx.passwords,
    replay: ctx.replay,
    keys: ctx.signing,
    pages: ctx.pages.pages,
    logger: ctx.logger,
    clock,
    publicUrl: config.publicUrl,
    server: Object.freeze({
      listen: Object.freeze({ host: config.server.host, port: config.server.port }),
      trustedProxies: Object.freeze([...config.server.trustedProxies]),
      defaultLocale: config.branding.defaultLocale,
      challengeTtlMs: config.challenge.ttlSeconds * 1000,
      outsideGroup: ctx.outsideGroup,
    }),
  };
  ctx.api = {
    ...ctx.shared,
    db: (store.db as Kysely<unknown>).withPlugin(new OwnTablesOnly('host')) as HostApi['db'],
    state: keyedState(store.db, 'host', clock),
    config,
    store,
    secrets: ctx.secrets,
  };
};
