import { appOf } from './skip-remembered-device.js';
import type { Step } from '../challenge-context.js';

/**
 * "Remember this device" ticked on a verified code, at an app whose policy offers it: the
 * browser gets its cookie for the policy's days, audited. Offered only after a real factor.
 */
export const rememberDevice: Step = async (ctx) => {
  const devices = ctx.deps.devices;
  const days = ctx.policy?.rememberDeviceDays.value ?? 0;
  if (!devices || days === 0 || ctx.body.remember !== '1' || ctx.challenge.status !== 'verified') return 'next';
  const device = await devices.remember(ctx.res, { userId: ctx.user.id, app: appOf(ctx), userAgent: ctx.req.get('user-agent'), now: ctx.now, days });
  await ctx.deps.audit.record({ event: 'remembered-device', result: 'success', ...ctx.auditBase, method: ctx.selected?.row.kind, deviceToken: device.id, detail: `remembered "${device.browser_label}" for ${days} days` });
  return 'next';
};
