import { describeSource, networkSkip } from '../../policy/effective-policy.js';
import { matchingNetwork } from '../../policy/networks.js';
import { handBack, markVerifiedInStore } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * A client inside a trusted network (or outside the networks that require it) skips the second
 * factor, unless the relying party asked for step-up. The address is `req.ip`: derived through
 * `server.trustedProxies` only. Passed with no method (`multiFactor: false`) and audited with the
 * reason in words: "skipped: trusted network 10.0.0.0/8".
 */
export const skipTrustedNetwork: Step = async (ctx) => {
  const networks = ctx.policy?.trustedNetworks;
  if (!networks?.value) return 'next';
  const reason = networkSkip(networks.value, matchingNetwork(ctx.req.ip, networks.value.networks));
  if (reason === null) return 'next';
  if (ctx.state.stepUp) {
    ctx.log.info({ reason }, 'step-up requested: the trusted network does not skip the second factor');
    return 'next';
  }
  await markVerifiedInStore(ctx, []);
  ctx.log.info({ reason, clientIp: ctx.req.ip }, 'second factor skipped by policy');
  await ctx.deps.audit.record({
    event: 'second-factor',
    result: 'success',
    ...ctx.auditBase,
    method: 'none',
    detail: `skipped: ${reason}, by ${describeSource(networks.source)}`,
  });
  await handBack(ctx);
  return 'done';
};
