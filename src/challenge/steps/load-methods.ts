import { randomUUID } from 'node:crypto';
import type { FactorRow } from '../../store/schema.js';
import type { ChallengeRequest, Method, Step } from '../challenge-context.js';
import { allowWithoutFactor, denyChallenge } from './finish-challenge.js';
import { preparedOn } from '../../store/prepared-query.js';

/**
 * The user's confirmed methods, default first. A user with none meets the adapter's enrolment
 * policy: `enroll` registers a new method on this page (it counts only once confirmed by a
 * first valid code), `deny` ends the challenge, `allow` lets the user through, audited.
 */
export const loadMethods: Step = async (ctx) => {
  const { db, factors } = ctx.deps;
  // Methods that follow the directory (a phone number for SMS) are brought in step first.
  for (const f of factors) await f.provision?.({ user: ctx.user, now: ctx.now });
  const rows = (
    await preparedOn<{ userId: string }, FactorRow>(db, 'factors of user', (q, p) =>
      q.selectFrom('factors').selectAll().where('user_id', '=', p('userId')).orderBy('is_default', 'desc').orderBy('created_at', 'asc').orderBy('id', 'asc'),
    ).run({ userId: ctx.user.id })
  ).rows;
  const allowed = ctx.policy?.methods.value;
  for (const row of rows) {
    const factor = factors.find((f) => f.kind === row.kind);
    if (!factor?.isEnrolled(row)) continue;
    // A policy rule's `methods`: the others are neither offered nor accepted at this app.
    if (allowed && !(allowed as readonly string[]).includes(row.kind)) continue;
    ctx.methods.push({ row, factor });
  }
  if (ctx.methods.length > 0) {
    ctx.selected = ctx.methods.find((m) => m.row.id === ctx.challenge.selected_method) ?? ctx.methods[0]!;
    return 'next';
  }
  switch (ctx.state.enrolmentPolicy) {
    case 'deny':
      await denyChallenge(ctx, 'NO_FACTOR');
      return 'done';
    case 'allow':
      await allowWithoutFactor(ctx);
      return 'done';
    case 'enroll': {
      const enrolling = await enrolment(ctx, rows);
      if (!enrolling) {
        await denyChallenge(ctx, 'NO_FACTOR', 'no factor offers inline enrolment');
        return 'done';
      }
      ctx.enrolling = enrolling;
      ctx.selected = enrolling;
      return 'next';
    }
  }
};

/** The challenge's pending enrolment, created on first sight and kept for its lifetime. */
async function enrolment(ctx: ChallengeRequest, rows: FactorRow[]): Promise<Method | null> {
  const { db, factors, config } = ctx.deps;
  const existing = rows.find((r) => r.id === ctx.challenge.enrol_factor_id && r.confirmed === 0);
  if (existing) {
    const factor = factors.find((f) => f.kind === existing.kind);
    if (factor) return { row: existing, factor };
  }
  const allowed = ctx.policy?.methods.value as readonly string[] | undefined;
  const factor = factors.find((f) => f.enrolment !== undefined && (!allowed || allowed.includes(f.kind)));
  if (!factor?.enrolment) return null;

  // Unconfirmed rows older than a challenge's lifetime belong to abandoned enrolments.
  await db
    .deleteFrom('factors')
    .where('user_id', '=', ctx.user.id)
    .where('confirmed', '=', 0)
    .where('created_at', '<', ctx.now - config.challenge.ttlSeconds * 1000)
    .execute();

  const id = randomUUID();
  const material = await factor.enrolment.create({ user: ctx.user, factorId: id, now: ctx.now });
  const row: FactorRow = {
    id,
    user_id: ctx.user.id,
    kind: factor.kind,
    label: material.label,
    secret_enc: material.secretEnc,
    params: JSON.stringify(material.params),
    is_default: 0,
    confirmed: 0,
    last_used_step: null,
    created_at: ctx.now,
    last_used_at: null,
  };
  await db.insertInto('factors').values(row).execute();
  // Two tabs (or hosts) showing the page at once must agree on one secret: the first to link
  // its row wins, the other discards its own and shows the winner's.
  const linked = await db
    .updateTable('challenges')
    .set({ enrol_factor_id: id })
    .where('id', '=', ctx.challenge.id)
    .where('enrol_factor_id', 'is', null)
    .executeTakeFirst();
  if (Number(linked.numUpdatedRows) === 1) {
    ctx.challenge = { ...ctx.challenge, enrol_factor_id: id };
    return { row, factor };
  }
  await db.deleteFrom('factors').where('id', '=', id).execute();
  const current = await db.selectFrom('challenges').select('enrol_factor_id').where('id', '=', ctx.challenge.id).executeTakeFirst();
  const winner = current?.enrol_factor_id
    ? await db.selectFrom('factors').selectAll().where('id', '=', current.enrol_factor_id).executeTakeFirst()
    : undefined;
  const winnerFactor = winner ? factors.find((f) => f.kind === winner.kind) : undefined;
  return winner && winnerFactor ? { row: winner, factor: winnerFactor } : null;
}
