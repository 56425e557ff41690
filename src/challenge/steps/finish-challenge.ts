/**
 * How a challenge ends. Two atomic transitions make it single use across hosts: the decision
 * (`pending` → `verified` | `denied`) and the hand-back (→ `resumed`). Each is an UPDATE that
 * names the state it leaves, and only the request whose UPDATE affected exactly one row goes
 * on; everyone else gets CHALLENGE_USED. So the adapter's `resume` runs at most once, even
 * with two hosts racing on one store.
 */
import type { Request, Response } from 'express';
import { sql } from 'kysely';
import { FactorgateError } from '../../kit/errors.js';
import type { ChallengeOutcome, HostSession } from '../../api/host-api.js';
import type { ChallengeRequest } from '../challenge-context.js';
import { preparedOn } from '../../store/prepared-query.js';

/** Machine reasons a challenge ends in denial; audited, never shown verbatim. */
export type DenyReason = 'EXPIRED' | 'LOCKED' | 'USER_DISABLED' | 'NO_FACTOR' | 'NOT_IN_MFA_GROUP' | 'FRAUD_REPORTED' | 'FRAUD_BLOCKED';

/** Whether a prepared UPDATE (prepared-query.ts) changed exactly one row: the transition is ours. */
function affectedOne(r: { numAffectedRows?: bigint | undefined }): boolean {
  return Number(r.numAffectedRows ?? 0n) === 1;
}

/** Adds one attempt to the challenge (any status): a wrong code's, or a right one that lost the race. */
export async function countAttempt(ctx: ChallengeRequest): Promise<void> {
  await preparedOn<{ id: string }, unknown>(ctx.deps.db, 'count challenge attempt', (q, p) => q.updateTable('challenges').set({ attempts: sql<number>`attempts + 1` }).where('id', '=', p('id'))).run({ id: ctx.challenge.id });
}

/**
 * Decides `pending` → `verified` with the methods used; CHALLENGE_USED when someone decided first.
 * `countAttempt`: the decision is a right code's, whose attempt is counted on the challenge by this
 * same UPDATE (record-attempt.ts counts a wrong one itself): one statement fewer per sign-in; if the
 * UPDATE finds the challenge no longer pending, the attempt is counted by a statement of its own.
 */
export async function markVerifiedInStore(ctx: ChallengeRequest, methods: string[], opts: { countAttempt?: boolean } = {}): Promise<void> {
  // Every verified challenge runs it: compiled once per shape (prepared-query.ts).
  const counted = opts.countAttempt === true;
  const r = await preparedOn<{ id: string; methods: string; now: number }, unknown>(ctx.deps.db, counted ? 'challenge pending to verified, attempt counted' : 'challenge pending to verified', (q, p) =>
    q
      .updateTable('challenges')
      .set({ status: 'verified', methods_used: p('methods'), finished_at: p('now'), ...(counted ? { attempts: sql<number>`attempts + 1` } : {}) })
      .where('id', '=', p('id'))
      .where('status', '=', 'pending')
      .where('expires_at', '>', p('now')),
  ).run({ id: ctx.challenge.id, methods: JSON.stringify(methods), now: ctx.now });
  if (!affectedOne(r)) {
    // A right code that lost the race (decided or expired between the check and this UPDATE) is
    // still an attempt: counted here, on the rare path, so every attempt stays counted.
    if (counted) await countAttempt(ctx);
    throw new FactorgateError('CHALLENGE_USED', { detail: 'challenge was decided by another request' });
  }
  ctx.challenge = { ...ctx.challenge, status: 'verified', methods_used: JSON.stringify(methods), finished_at: ctx.now, attempts: ctx.challenge.attempts + (counted ? 1 : 0) };
}

/** Final failure: decides `pending` → `denied`, audits the reason, hands back to the adapter. */
export async function denyChallenge(ctx: ChallengeRequest, reason: DenyReason, detail?: string): Promise<void> {
  // Compiled once like its neighbours (prepared-query.ts).
  const r = await preparedOn<{ id: string; reason: DenyReason; now: number }, unknown>(ctx.deps.db, 'challenge pending to denied', (q, p) =>
    q.updateTable('challenges').set({ status: 'denied', deny_reason: p('reason'), finished_at: p('now') }).where('id', '=', p('id')).where('status', '=', 'pending'),
  ).run({ id: ctx.challenge.id, reason, now: ctx.now });
  if (!affectedOne(r)) throw new FactorgateError('CHALLENGE_USED', { detail: 'challenge was decided by another request' });
  ctx.challenge = { ...ctx.challenge, status: 'denied', deny_reason: reason, finished_at: ctx.now };
  ctx.log.warn({ reason }, 'challenge denied');
  ctx.deps.metrics?.challenge.denied(reason);
  await ctx.deps.audit.record({ event: 'challenge', result: 'denied', ...ctx.auditBase, denyReason: reason, detail });
  await handBack(ctx);
}

/**
 * Enrolment policy `allow` for a user with no method: the challenge passes without a second
 * factor. The outcome says `multiFactor: false` (so a SAML adapter asserts password-only) and
 * the audit record says so in words.
 */
export async function allowWithoutFactor(ctx: ChallengeRequest): Promise<void> {
  await markVerifiedInStore(ctx, []);
  ctx.log.info('challenge passed without a second factor (enrolment policy allow)');
  await ctx.deps.audit.record({
    event: 'second-factor',
    result: 'success',
    ...ctx.auditBase,
    method: 'none',
    detail: 'NO_METHOD_ALLOWED: no second factor enrolled; passed by enrolment policy allow',
  });
  await handBack(ctx);
}

function outcomeOf(ctx: ChallengeRequest): ChallengeOutcome {
  const c = ctx.challenge;
  const common = { challengeId: c.id, user: ctx.user, continuation: ctx.state.continuation, relyingParty: c.relying_party };
  if (c.status === 'verified') {
    const methods = c.methods_used ? (JSON.parse(c.methods_used) as string[]) : [];
    return { result: 'verified', ...common, methods, multiFactor: methods.length > 0, authnInstant: c.finished_at ?? ctx.now, identity: ctx.state.identity };
  }
  return { result: 'denied', ...common, reason: c.deny_reason ?? 'DENIED' };
}

/** The end of the user's lock as the store has it now (the page says until when). */
async function lockedUntil(ctx: ChallengeRequest): Promise<number | null> {
  const row = await ctx.deps.db.selectFrom('users').select('locked_until').where('id', '=', ctx.user.id).executeTakeFirst();
  return row?.locked_until ?? null;
}

/**
 * Hands a decided challenge back to its adapter, exactly once: claims `→ resumed`, issues a
 * brand-new session after a success (never reusing an id from before the factor: session
 * fixation, OWASP ASVS V3.2.1), then calls the adapter's `resume`. A headless channel gets
 * the outcome as its answer instead (no session, no `resume`).
 */
export async function handBack(ctx: ChallengeRequest): Promise<void> {
  const { db, resolveAdapter, metrics } = ctx.deps;
  const r = await preparedOn<{ id: string }, unknown>(db, 'challenge decided to resumed', (q, p) =>
    q.updateTable('challenges').set({ status: 'resumed' }).where('id', '=', p('id')).where('status', 'in', ['verified', 'denied']),
  ).run({ id: ctx.challenge.id });
  if (!affectedOne(r)) throw new FactorgateError('CHALLENGE_USED', { detail: 'challenge was already handed back' });
  // ctx.challenge holds the decision: made by this request, or read fresh by the step that
  // found it decided; a decided row never changes again, so it is still the truth.
  const outcome = outcomeOf(ctx);
  if (outcome.result === 'denied' && outcome.reason === 'LOCKED') outcome.lockedUntil = await lockedUntil(ctx);
  const row = ctx.challenge;
  ctx.challenge = { ...row, status: 'resumed' };

  metrics?.authentications.inc({ adapter: row.adapter, result: outcome.result });
  if (outcome.result === 'verified') metrics?.challenge.verified((outcome.authnInstant - row.created_at) / 1000);
  if (ctx.headless) {
    // No browser, no session: the protocol that asked (RADIUS) answers its peer with the
    // outcome itself, in the same request. The single-use claim above still holds.
    ctx.log.info({ result: outcome.result }, 'challenge handed back to its channel');
    ctx.answer = { status: 'ended', outcome };
    return;
  }
  if (outcome.result === 'verified') {
    outcome.session = await regenerateSession(ctx.req, ctx.res, ctx, outcome);
  }
  const adapter = resolveAdapter(row.adapter);
  if (!adapter) throw new FactorgateError('INTERNAL', { detail: `no adapter "${row.adapter}" to hand the challenge back to` });
  ctx.log.info({ result: outcome.result }, 'challenge handed back to its adapter');
  await adapter.resume(outcome, ctx.req, ctx.res);
}

async function regenerateSession(
  req: Request,
  res: Response,
  ctx: ChallengeRequest,
  outcome: Extract<ChallengeOutcome, { result: 'verified' }>,
): Promise<HostSession> {
  await ctx.deps.sessions.destroy(req, res);
  const session = await ctx.deps.sessions.create(res, {
    userId: ctx.user.id,
    methods: outcome.methods,
    multiFactor: outcome.multiFactor,
    authnInstant: outcome.authnInstant,
    identity: outcome.identity,
    // A policy rule's sessionMinutes; otherwise the configured session lifetime.
    ...(ctx.policy && 'rule' in ctx.policy.sessionMinutes.source ? { lifetimeMs: ctx.policy.sessionMinutes.value * 60_000 } : {}),
  });
  session.user = ctx.user;
  return session;
}
