/**
 * The challenge engine: what happens between "primary authentication passed" and "hand the
 * result back". An adapter calls `begin`, redirects the browser to `/mfa/:id`, and is called
 * back through its `resume(outcome, req, res)` exactly once when the challenge ends.
 *
 * Everything lives in the store (challenge, lockout counters, used TOTP steps, sessions), so any
 * host sharing it can continue any challenge, and a restarted host finishes what it began.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { BeganChallenge, BeginChallengeInput, ChallengeApi, EnrolmentPolicy, ExternalIdentity, HeadlessChallengeApi, HeadlessChallengeStep, UserRecord } from '../api/host-api.js';
import { FactorgateError } from '../kit/errors.js';
import { seeOther } from '../http/see-other.js';
import { pickLocale, type Locale } from '../kit/i18n.js';
import { bindBrowser } from './browser-binding.js';
import { sealState } from './sealed-state.js';
import { readLock } from './lockout.js';
import { ChallengeRequest, headlessBinding, type ChallengeEngineDeps, type HeadlessIo, type Step } from './challenge-context.js';
import { loadChallenge } from './steps/load-challenge.js';
import { checkBrowser } from './steps/check-browser.js';
import { checkCsrf } from './steps/check-csrf.js';
import { handBackIfDecided } from './steps/hand-back-if-decided.js';
import { checkExpiry } from './steps/check-expiry.js';
import { checkLockout } from './steps/check-lockout.js';
import { applyBypass } from './steps/apply-bypass.js';
import { resolvePolicy } from './steps/resolve-policy.js';
import { skipTrustedNetwork } from './steps/skip-trusted-network.js';
import { skipRememberedDevice } from './steps/skip-remembered-device.js';
import { rememberDevice } from './steps/remember-device.js';
import { loadMethods } from './steps/load-methods.js';
import { selectMethod } from './steps/select-method.js';
import { sendToOnlyMethod } from './steps/send-to-only-method.js';
import { reserveAttempt } from './steps/reserve-attempt.js';
import { verifyCode } from './steps/verify-code.js';
import { checkReplay } from './steps/check-replay.js';
import { recordAttempt } from './steps/record-attempt.js';
import { confirmEnrolment } from './steps/confirm-enrolment.js';
import { markVerified } from './steps/mark-verified.js';
import { handBackToAdapter } from './steps/hand-back.js';
import type { DenyReason } from './steps/finish-challenge.js';
import { renderPage } from './steps/render-page.js';
import { checkFraudBlock } from './steps/check-fraud-block.js';
import { reportFraud } from './steps/report-fraud.js';
import { checkChannel } from './steps/check-channel.js';
import { pickHeadlessMethod } from './steps/pick-headless-method.js';
import { askForCode } from './steps/ask-for-code.js';
import './messages.js';
import { prepareQuery } from '../store/prepared-query.js';
import type { ChallengesTable } from '../store/schema.js';
import { CHALLENGE_COLUMNS } from './challenge-columns.js';

/** `GET /mfa/:id`: show the page (or end the challenge when nothing can be asked). */
export const SHOW_STEPS: readonly Step[] = [
  loadChallenge, //     the id names a challenge in the store
  checkBrowser, //      only the browser that began it
  handBackIfDecided, // decided but not handed back → hand back now; spent → refused
  checkExpiry, //       expired → denied
  checkLockout, //      regulation first: disabled or locked → denied
  checkFraudBlock, //   a fraud report (mode block) stops the second factor until an admin enables the user
  applyBypass, //       a help desk's one-time bypass, unused and in time → verified without a factor
  resolvePolicy, //     the user's effective policy at this app: first matching rule per part
  skipTrustedNetwork, // a trusted network skips the factor (never under step-up), audited with the network
  skipRememberedDevice, // this user's device remembered at this app skips it (never under step-up); a bad cookie is refused
  loadMethods, //       the policy's allowed methods, default first; none → enrolment policy (enroll | deny | allow)
  sendToOnlyMethod, //  a delivered method that is the only one sends at first sight, once
  renderPage, //        a delivered method: "Send me a code" first, the code field after a send
];

/** `POST /mfa/:id` (fields `code`, `method`, `_csrf`): the Authelia order, one check per file. */
export const VERIFY_STEPS: readonly Step[] = [
  loadChallenge,
  checkBrowser,
  checkCsrf, //         the form is ours
  handBackIfDecided,
  checkExpiry,
  reportFraud, //       "I didn't try to sign in" → the challenge ends, reported, mailed, (block) factor stopped
  checkLockout, //      regulation before any code is looked at
  checkFraudBlock,
  applyBypass, //       granted while this page was open
  resolvePolicy,
  skipTrustedNetwork,
  skipRememberedDevice,
  loadMethods,
  selectMethod, //      `method` without a code only switches method
  reserveAttempt, //    take one try from the lockout budget atomically; none left → denied
  verifyCode, //        the factor's own check (window, digits, its last step)
  checkReplay, //       claim the step in the store: reuse refused (RFC 6238 §5.2)
  recordAttempt, //     count and audit; failure → neutral message or lockout
  confirmEnrolment, //  a new method counts from its first valid code
  markVerified, //      pending → verified, exactly one request wins
  rememberDevice, //    "remember this device" ticked and offered by policy → its cookie
  handBackToAdapter, // fresh session, then the adapter's resume, once
];

/**
 * A challenge begun without a browser (RADIUS): the same regulation and factors, then either
 * the code is asked for (a delivered one sent now) or, typed already, checked at once.
 */
export const HEADLESS_BEGIN_STEPS: readonly Step[] = [
  loadChallenge,
  checkChannel, //       begun on this channel by this adapter
  checkLockout,
  checkFraudBlock,
  applyBypass,
  resolvePolicy, //      the policy for this client (its name is the app); no trusted-network skip:
  //                     the address a NAS reports is not one the host saw
  loadMethods, //        no method: `deny` or `allow` (enrolment needs a page)
  pickHeadlessMethod, // only methods answered by a typed code, and the client's allowed kinds
  askForCode, //         no code yet: send a delivered one, ask for it
  reserveAttempt,
  verifyCode,
  checkReplay,
  recordAttempt, //      failure → asked again, or LOCKED
  markVerified,
  handBackToAdapter, //  the outcome is the channel's answer
];

/** The code brought back on the same channel: the browser's verify table without page, CSRF and cookie. */
export const HEADLESS_ANSWER_STEPS: readonly Step[] = [
  loadChallenge,
  checkChannel,
  handBackIfDecided,
  checkExpiry,
  checkLockout,
  checkFraudBlock,
  applyBypass,
  resolvePolicy,
  loadMethods,
  pickHeadlessMethod,
  askForCode, //         an empty code is not an attempt
  reserveAttempt,
  verifyCode,
  checkReplay,
  recordAttempt,
  markVerified,
  handBackToAdapter,
];

async function run(steps: readonly Step[], ctx: ChallengeRequest): Promise<void> {
  for (const step of steps) {
    if ((await step(ctx)) === 'done') return;
  }
  throw new Error('a challenge step table ended without answering the request');
}

export interface ChallengeEngine {
  readonly api: ChallengeApi;
  /** Mounts `GET /mfa/:id` and `POST /mfa/:id` on the host's router. */
  mount(router: Router): void;
}

export function createChallengeEngine(deps: ChallengeEngineDeps): ChallengeEngine {
  const ttlMs = deps.config.challenge.ttlSeconds * 1000;
  // Every sign-in inserts one: compiled once (prepared-query.ts), every column a parameter.
  const insertChallenge = prepareQuery<ChallengesTable, unknown>(deps.db, (q, p) =>
    q.insertInto('challenges').values(Object.fromEntries(CHALLENGE_COLUMNS.map((c) => [c, p(c)])) as unknown as ChallengesTable),
  );

  /**
   * How the row is born: `pending` (the page asks for a factor), `resumed` (passed by the
   * primary provider: handed back already), or already decided (`verified` without a factor,
   * `denied` with a reason), then handed back by the page's first GET like any decided challenge.
   */
  type Birth = { status: 'pending' } | { status: 'resumed'; methods: string[] } | { status: 'verified'; methods: [] } | { status: 'denied'; reason: DenyReason };

  /** What a new row records besides the adapter's input: who may answer it, from where, in which language. */
  interface Origin {
    /** The browser binding's hash, or `channel:<name>` for a headless channel. */
    binding: string;
    clientIp: string | null;
    locale: Locale;
  }

  interface RowInput {
    user: UserRecord;
    adapter: string;
    continuation: unknown;
    relyingParty?: string | undefined;
    enrolmentPolicy?: EnrolmentPolicy | undefined;
    identity?: ExternalIdentity | undefined;
    stepUp?: boolean | undefined;
  }

  const browserOrigin = (input: BeginChallengeInput): Origin => ({
    binding: bindBrowser(deps.cookies, input.req, input.res),
    clientIp: input.req.ip ?? null,
    locale: pickLocale(input.req, deps.config.branding.defaultLocale),
  });

  const insert = async (input: RowInput, origin: Origin, birth: Birth): Promise<string> => {
    const passed = birth.status === 'resumed' || birth.status === 'verified' ? { methods: birth.methods } : null;
    const adapter = deps.resolveAdapter(input.adapter);
    if (!adapter) throw new FactorgateError('INTERNAL', { detail: `challenge begun for unknown adapter "${input.adapter}"` });
    const now = deps.clock.now();
    // 256 random bits: unguessable (the issue asks for at least 128), and the page's URL.
    const id = randomBytes(32).toString('base64url');
    const enrolmentPolicy = input.enrolmentPolicy ?? deps.config.challenge.enrolmentPolicy;
    await insertChallenge.run({
        id,
        user_id: input.user.id,
        adapter: input.adapter,
        browser_hash: origin.binding,
        status: birth.status,
        continuation_enc: sealState(deps.secrets, id, { continuation: input.continuation, enrolmentPolicy, identity: input.identity ?? null, stepUp: input.stepUp === true }),
        enrol_factor_id: null,
        selected_method: null,
        methods_used: passed ? JSON.stringify(passed.methods) : null,
        deny_reason: birth.status === 'denied' ? birth.reason : null,
        attempts: 0,
        relying_party: input.relyingParty ?? null,
        client_ip: origin.clientIp,
        locale: origin.locale,
        created_at: now,
        expires_at: now + ttlMs,
        finished_at: birth.status === 'pending' ? null : now,
      });
    deps.logger.info({ challengeId: id, userId: input.user.id, adapter: input.adapter, enrolmentPolicy, status: birth.status }, birth.status === 'resumed' ? 'challenge passed by the primary provider' : 'challenge begun');
    return id;
  };

  /**
   * Issue 26 item 8: a user the directory's group filter leaves out meets `directory.outsideGroup`
   * (default deny) instead of a factor: denied with its own page, or passed without a factor
   * (password only, `multiFactor: false`). Either way audited with NOT_IN_MFA_GROUP.
   */
  const outsideGroup = async (input: RowInput, origin: Origin): Promise<string> => {
    const policy = deps.outsideGroupPolicy ?? 'deny';
    const id = await insert(input, origin, policy === 'allow' ? { status: 'verified', methods: [] } : { status: 'denied', reason: 'NOT_IN_MFA_GROUP' });
    const base = { user: input.user, adapter: input.adapter, relyingParty: input.relyingParty, challengeId: id, clientIp: origin.clientIp ?? undefined };
    deps.logger.warn({ challengeId: id, userId: input.user.id, adapter: input.adapter, reason: 'NOT_IN_MFA_GROUP', policy }, 'user outside the MFA group');
    if (policy === 'allow') {
      await deps.audit.record({ event: 'second-factor', result: 'success', ...base, method: 'none', detail: 'NOT_IN_MFA_GROUP: outside the directory group filter; passed without a second factor by directory.outsideGroup allow' });
    } else {
      await deps.audit.record({ event: 'challenge', result: 'denied', ...base, denyReason: 'NOT_IN_MFA_GROUP', detail: 'outside the directory group filter; directory.outsideGroup deny' });
    }
    return id;
  };

  const runHeadless = async (steps: readonly Step[], io: HeadlessIo): Promise<HeadlessChallengeStep> => {
    const ctx = new ChallengeRequest(deps, io);
    await run(steps, ctx);
    if (!ctx.answer) throw new Error('a headless challenge table ended without an answer');
    return ctx.answer;
  };

  const headless: HeadlessChallengeApi = {
    async begin(input) {
      const origin: Origin = { binding: headlessBinding(input.channel), clientIp: input.clientIp ?? null, locale: input.locale ?? deps.config.branding.defaultLocale };
      // Enrolment shows a secret and asks for a first code on a page: a channel cannot.
      const policy = input.enrolmentPolicy ?? deps.config.challenge.enrolmentPolicy;
      const row: RowInput = { user: input.user, adapter: input.adapter, continuation: null, relyingParty: input.relyingParty, enrolmentPolicy: policy === 'enroll' ? 'deny' : policy };
      const id = input.outsideMfaGroup === true ? await outsideGroup(row, origin) : await insert(row, origin, { status: 'pending' });
      const io: HeadlessIo = { channel: input.channel, adapter: input.adapter, challengeId: id, code: input.code, clientIp: input.clientIp, methods: input.methods };
      // Born decided (outside the MFA group): the answer table hands it back at once.
      return runHeadless(input.outsideMfaGroup === true ? HEADLESS_ANSWER_STEPS : HEADLESS_BEGIN_STEPS, io);
    },
    answer(input) {
      return runHeadless(HEADLESS_ANSWER_STEPS, { channel: input.channel, adapter: input.adapter, challengeId: input.challengeId, code: input.code, clientIp: input.clientIp, methods: input.methods });
    },
  };
  const api: ChallengeApi = {
    headless,
    async begin(input: BeginChallengeInput): Promise<BeganChallenge> {
      const origin = browserOrigin(input);
      const id = input.outsideMfaGroup === true ? await outsideGroup(input, origin) : await insert(input, origin, { status: 'pending' });
      return { challengeId: id, redirectTo: `/mfa/${id}` };
    },

    async pass(input): Promise<void> {
      // Regulation still applies: a disabled or locked user goes through the page, which denies.
      const lock = await readLock(deps.db, input.user.id, deps.clock.now());
      if (input.user.disabled || lock.locked) {
        const began = await api.begin(input);
        seeOther(input.res, began.redirectTo);
        return;
      }
      const id = await insert(input, browserOrigin(input), { status: 'resumed', methods: input.methods });
      const now = deps.clock.now();
      await deps.audit.record({
        event: 'second-factor',
        result: 'success',
        user: input.user,
        method: input.methods.join(','),
        adapter: input.adapter,
        relyingParty: input.relyingParty,
        challengeId: id,
        clientIp: input.req.ip,
        detail: input.detail,
      });
      await deps.sessions.destroy(input.req, input.res);
      const session = await deps.sessions.create(input.res, { userId: input.user.id, methods: input.methods, multiFactor: true, authnInstant: now, identity: input.identity ?? null });
      session.user = input.user;
      deps.metrics?.authentications.inc({ adapter: input.adapter, result: 'verified' });
      await deps.resolveAdapter(input.adapter)!.resume(
        {
          result: 'verified',
          challengeId: id,
          user: input.user,
          continuation: input.continuation,
          methods: input.methods,
          multiFactor: true,
          authnInstant: now,
          relyingParty: input.relyingParty ?? null,
          identity: input.identity ?? null,
          session,
        },
        input.req,
        input.res,
      );
    },
  };


  const form = express.urlencoded({ extended: false, limit: deps.config.server.maxBodyBytes, parameterLimit: 10 });

  return {
    api,
    mount(router: Router): void {
      // First: a factor's fixed path (`/mfa/voice-callback`) must not be taken for a challenge id.
      for (const factor of deps.factors) factor.routes?.(router);
      router.get('/mfa/:id', (req: Request, res: Response) => run(SHOW_STEPS, new ChallengeRequest(deps, { channel: 'browser', req, res })));
      router.post('/mfa/:id', form, (req: Request, res: Response) => run(VERIFY_STEPS, new ChallengeRequest(deps, { channel: 'browser', req, res })));
    },
  };
}
