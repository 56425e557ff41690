import type { AdapterInstance } from '../../api/host-api.js';
import { createChallengeEngine } from '../../challenge/index.js';
import type { StartStep } from './start-context.js';

/** The engine knows no adapter by name: when a challenge ends it hands back to whichever instance the challenge names. */
export const createChallengeEngineStep: StartStep = (ctx) => {
  const { config } = ctx;
  const instances = new Map<string, AdapterInstance>();
  ctx.instances = instances;
  ctx.outsideGroup = config.directory.type === 'ldap' ? config.directory.outsideGroup : 'deny';
  ctx.engine = createChallengeEngine({
    db: ctx.store.db,
    secrets: ctx.secrets,
    clock: ctx.clock,
    logger: ctx.logger,
    audit: ctx.audit,
    users: ctx.users,
    sessions: ctx.sessions,
    csrf: ctx.csrf,
    cookies: ctx.cookies,
    config,
    branding: config.branding,
    resolveAdapter: (name) => instances.get(name),
    outsideGroupPolicy: ctx.outsideGroup,
    factors: ctx.factors,
    metrics: ctx.metrics,
    policies: config.policies,
    devices: ctx.devices,
    fraud: ctx.fraudReports,
  });
};
