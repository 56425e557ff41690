import { describeSource } from '../../policy/effective-policy.js';
import { handBack, markVerifiedInStore } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/** The method a remembered device stands for, in the outcome and the audit. */
export const REMEMBERED_DEVICE_METHOD = 'remembered-device';

/**
 * A device this user remembered at this app (policy rememberDeviceDays > 0) skips the factor it
 * stands for, unless the relying party asked for step-up. A cookie that is forged, another
 * user's, another app's, revoked or expired is refused, dropped, and audited with the reason;
 * the challenge then goes on as usual.
 */
export const skipRememberedDevice: Step = async (ctx) => {
  const devices = ctx.deps.devices;
  const days = ctx.policy?.rememberDeviceDays;
  if (!devices || !days || days.value === 0) return 'next';
  const app = appOf(ctx);
  const check = await devices.check(ctx.req, { userId: ctx.user.id, app, now: ctx.now });
  if (!check.ok) {
    if (check.reason === 'NONE') return 'next';
    devices.forget(ctx.res, app);
    ctx.log.warn({ reason: check.reason }, 'remembered-device cookie refused');
    await ctx.deps.audit.record({ event: 'remembered-device', result: 'failure', ...ctx.auditBase, method: REMEMBERED_DEVICE_METHOD, denyReason: check.reason, detail: 'the cookie was refused; the second factor is asked' });
    return 'next';
  }
  if (ctx.state.stepUp) {
    ctx.log.info('step-up requested: the remembered device does not skip the second factor');
    return 'next';
  }
  await markVerifiedInStore(ctx, [REMEMBERED_DEVICE_METHOD]);
  const d = check.device;
  await ctx.deps.audit.record({
    event: 'second-factor',
    result: 'success',
    ...ctx.auditBase,
    method: REMEMBERED_DEVICE_METHOD,
    deviceToken: d.id,
    detail: `skipped: remembered device "${d.browser_label}" since ${new Date(d.created_at).toISOString()}, by ${describeSource(days.source)}`,
  });
  await handBack(ctx);
  return 'done';
};

/** The app a device is remembered for: the relying party, else the adapter. */
export function appOf(ctx: { challenge: { relying_party: string | null; adapter: string } }): string {
  return ctx.challenge.relying_party ?? ctx.challenge.adapter;
}
