/**
 * What the challenge engine needs from the host, and the per-request state its steps share.
 * Each step is one small function over a `ChallengeRequest`; the order lives in one table in
 * `challenge-engine.ts` (STYLE.md habit 1, after node-oidc-provider's action tables).
 */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, ChallengeRow, FactorRow } from '../store/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import type { Clock } from '../kit/clock.js';
import type { AdapterInstance, AuditApi, EnrolmentPolicy, ExternalIdentity, SessionApi, UserApi, UserRecord } from '../api/host-api.js';
import type { Csrf } from '../http/csrf.js';
import type { CookiePolicy } from '../http/cookies.js';
import type { HostConfig } from '../config/schema.js';
import type { Branding } from '../kit/pages/layout.js';
import type { Locale } from '../kit/i18n.js';
import type { HostMetrics } from '../kit/metrics.js';
import type { Factor, FactorVerifyResult } from '../factors/factor.js';
import type { AttemptReservation } from './lockout.js';
import type { PoliciesConfig } from '../policy/config.js';
import type { EffectivePolicy } from '../policy/effective-policy.js';

/** The parts of the host configuration the engine reads (a full `HostConfig` fits). */
export type ChallengeEngineConfig = Pick<HostConfig, 'challenge' | 'branding' | 'server'>;

export interface ChallengeEngineDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  audit: AuditApi;
  users: UserApi;
  sessions: SessionApi;
  csrf: Pick<Csrf, 'token' | 'check'>;
  cookies: CookiePolicy;
  config: ChallengeEngineConfig;
  branding: Branding;
  /** The registered adapter of that name (the host's own `/login` flow included). */
  resolveAdapter(name: string): AdapterInstance | undefined;
  /** Every method the host offers; the first with enrolment is offered to users with none. */
  factors: readonly Factor[];
  /** `directory.outsideGroup`: what a user outside the directory's MFA group meets. Default deny. */
  outsideGroupPolicy?: 'deny' | 'allow' | undefined;
  /** Counts finished challenges, attempts, sends and lockouts, when the host has metrics. */
  metrics?: Pick<HostMetrics, 'authentications' | 'challenge'> | undefined;
  /** `policies` (issue 20): per-app and per-group rules, remembered devices, fraud reports. */
  policies?: PoliciesConfig | undefined;
}

/** What `begin` seals with the continuation: the adapter's state and its choices. */
export interface SealedChallengeState {
  continuation: unknown;
  enrolmentPolicy: EnrolmentPolicy;
  /** From the primary provider, when the user signed in at an external IdP. */
  identity: ExternalIdentity | null;
  /** The relying party asked for a multi-factor context: nothing may skip the factor. */
  stepUp?: boolean | undefined;
}

/** One of the user's methods: a factor row and the implementation of its kind. */
export interface Method {
  row: FactorRow;
  factor: Factor;
}

/** A step says whether the request goes on to the next step or has been answered. */
export type StepResult = 'next' | 'done';
export type Step = (ctx: ChallengeRequest) => Promise<StepResult>;

/**
 * Per-request state. `challenge`, `user` and `state` are filled by `loadChallenge`, which is
 * always the first step of every table; later steps may rely on them.
 */
export class ChallengeRequest {
  challenge!: ChallengeRow;
  user!: UserRecord;
  state!: SealedChallengeState;
  locale: Locale = 'en';
  /** Confirmed methods, default first. */
  methods: Method[] = [];
  /** The new factor awaiting its first code during inline enrolment. */
  enrolling: Method | null = null;
  /** The method the submitted code is checked against. */
  selected: Method | null = null;
  /** What the factor said about the submitted code. */
  verdict: FactorVerifyResult | null = null;
  /** The attempt reserved against the user's lockout budget before the code was looked at. */
  reservation: Extract<AttemptReservation, { reserved: true }> | null = null;
  /** The user's effective policy at this app (`resolvePolicy`), for every later step. */
  policy: EffectivePolicy | null = null;
  /** The time every step of this request uses, read once from the injected clock. */
  readonly now: number;

  constructor(
    readonly deps: ChallengeEngineDeps,
    readonly req: Request,
    readonly res: Response,
  ) {
    this.now = deps.clock.now();
  }

  get body(): Record<string, unknown> {
    return (this.req.body ?? {}) as Record<string, unknown>;
  }

  /** Fields every audit record of this challenge carries. */
  get auditBase() {
    return {
      user: this.user,
      adapter: this.challenge.adapter,
      relyingParty: this.challenge.relying_party ?? undefined,
      challengeId: this.challenge.id,
      clientIp: this.req.ip,
    };
  }

  get log(): Logger {
    return this.deps.logger.child({ challengeId: this.challenge?.id, userId: this.challenge?.user_id, adapter: this.challenge?.adapter });
  }
}
