import type { Step } from '../challenge-context.js';
import { preparedOn } from '../../store/prepared-query.js';

/**
 * RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
 * successful validation has been issued for the first OTP". The factor refused steps up to the
 * `last_used_step` it read; here the accepted step is claimed with a conditional UPDATE, so two
 * requests carrying the same code (on one host or two) cannot both pass.
 */
export const checkReplay: Step = async (ctx) => {
  const verdict = ctx.verdict;
  if (!verdict?.ok || verdict.step === undefined) return 'next';
  const step = verdict.step;
  const r = await preparedOn<{ id: string; step: number; now: number }, unknown>(ctx.deps.db, 'claim factor step', (q, p) =>
    q
      .updateTable('factors')
      .set({ last_used_step: p('step'), last_used_at: p('now') })
      .where('id', '=', p('id'))
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', p('step'))])),
  ).run({ id: ctx.selected!.row.id, step, now: ctx.now });
  if (Number(r.numAffectedRows ?? 0n) !== 1) ctx.verdict = { ok: false, reason: 'REPLAY' };
  return 'next';
};
