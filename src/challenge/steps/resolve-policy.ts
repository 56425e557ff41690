import { effectivePolicy } from '../../policy/effective-policy.js';
import type { Step } from '../challenge-context.js';

/**
 * The user's effective policy at this app (issue 20): per part, the first matching rule of
 * `policies.rules`; the same function `factorgate policy explain` prints. A rule's enrolment
 * policy overrides the adapter's.
 */
export const resolvePolicy: Step = async (ctx) => {
  const rules = ctx.deps.policies?.rules ?? [];
  ctx.policy = effectivePolicy(
    rules,
    { app: ctx.challenge.relying_party ?? ctx.challenge.adapter, adapter: ctx.challenge.adapter, groups: ctx.user.groups ?? [] },
    { enrolment: ctx.state.enrolmentPolicy, enrolmentSource: 'the adapter\'s or challenge.enrolmentPolicy', sessionMinutes: 0 },
  );
  if ('rule' in ctx.policy.enrolment.source) {
    // Enrolment shows a secret on a page: on a headless channel a rule's `enroll` acts as `deny`.
    const value = ctx.headless && ctx.policy.enrolment.value === 'enroll' ? 'deny' : ctx.policy.enrolment.value;
    ctx.state = { ...ctx.state, enrolmentPolicy: value };
  }
  return 'next';
};
