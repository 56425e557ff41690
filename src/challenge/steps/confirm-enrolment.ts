import type { Step } from '../challenge-context.js';

/**
 * A method registered on the page counts only once its first valid code proves the app holds
 * the secret. It becomes the default when the user has no other default.
 */
export const confirmEnrolment: Step = async (ctx) => {
  const enrolling = ctx.enrolling;
  if (!enrolling || !ctx.verdict?.ok) return 'next';
  const { db, audit } = ctx.deps;
  const other = await db
    .selectFrom('factors')
    .select('id')
    .where('user_id', '=', ctx.user.id)
    .where('confirmed', '=', 1)
    .where('is_default', '=', 1)
    .executeTakeFirst();
  await db
    .updateTable('factors')
    .set({ confirmed: 1, is_default: other ? 0 : 1 })
    .where('id', '=', enrolling.row.id)
    .where('confirmed', '=', 0)
    .execute();
  ctx.log.info({ method: enrolling.row.kind, factorId: enrolling.row.id }, 'method enrolled');
  await audit.record({ event: 'enrolment', result: 'success', ...ctx.auditBase, method: enrolling.row.kind, deviceToken: enrolling.row.id });
  return 'next';
};
