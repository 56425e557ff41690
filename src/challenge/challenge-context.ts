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
import type { AdapterInstance, AuditApi, ChallengeOutcome, EnrolmentPolicy, ExternalIdentity, SessionApi, UserApi, UserRecord } from '../api/host-api.js';
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
import type { RememberedDevices } from '../devices/remembered-devices.js';
import type { FraudReports } from '../fraud/fraud-reports.js';

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
  /** Remembered devices (issue 20); without it no device is remembered or honoured. */
  devices?: RememberedDevices | undefined;
  /** "This wasn't me" reports (issue 20); without it the page offers no report. */
  fraud?: Pick<FraudReports, 'report'> | undefined;
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
 * Who is answering the challenge. The browser channel is the page (`/mfa/:id`, its cookie
 * binding and CSRF token); a headless channel is a protocol without a browser (RADIUS
 * Access-Challenge) that brings the challenge id and the typed code itself and gets the
 * engine's answer back as a value. Both run the same steps for what matters: regulation,
 * the reserved attempt, the factor's check, replay, audit and the single-use hand-back.
 */
export type ChallengeIo = BrowserIo | HeadlessIo;

export interface BrowserIo {
  channel: 'browser';
  req: Request;
  res: Response;
}

export interface HeadlessIo {
  /** The protocol's name ('radius'), recorded in the binding column and the log. */
  channel: string;
  /** The adapter answering: only the one that began the challenge may. */
  adapter: string;
  challengeId: string;
  /** Factor kinds the client may use; undefined: any a channel can ask for. */
  methods: readonly string[] | undefined;
  /** What the protocol carried: the typed code (absent when the challenge only begins). */
  code: string | undefined;
  clientIp: string | undefined;
}

/** The binding a headless challenge is born with: never a browser's cookie hash (43 base64url characters). */
export function headlessBinding(channel: string): string {
  return `channel:${channel}`;
}

/** What a delivered-code action (send, resend, "Continue") says on the page that follows it. */
export type PageNotice = 'sent' | 'wait' | 'limit' | 'failed' | 'pending';

/** What a headless step table answers: a code is still wanted, or the decided outcome. */
export type HeadlessAnswer =
  | { status: 'code-needed'; challengeId: string; method: string; prompt: string; sent: boolean; failed: boolean; notice: PageNotice | undefined }
  | { status: 'ended'; outcome: ChallengeOutcome };

/**
 * Per-request state. `challenge`, `user`, `userState` and `state` are filled by `loadChallenge`, which is
 * always the first step of every table; later steps may rely on them.
 */
export class ChallengeRequest {
  challenge!: ChallengeRow;
  user!: UserRecord;
  /**
   * The user's lock and fraud-block columns, and whether an unused, unexpired help-desk bypass
   * exists, read with the user by `loadChallenge` (one statement).
   */
  userState!: { lockedUntil: number | null; fraudBlockedAt: number | null; bypassPending: boolean };
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
  /** A headless channel's answer, set by the step that ends the request. */
  answer: HeadlessAnswer | null = null;
  /** The time every step of this request uses, read once from the injected clock. */
  readonly now: number;

  constructor(
    readonly deps: ChallengeEngineDeps,
    readonly io: ChallengeIo,
  ) {
    this.now = deps.clock.now();
  }

  /** The browser's request; only browser steps (page, CSRF, cookie binding) reach for it. */
  get req(): Request {
    if (this.io.channel !== 'browser') throw new Error(`a browser-only challenge step ran on the ${this.io.channel} channel`);
    return (this.io as BrowserIo).req;
  }

  get res(): Response {
    if (this.io.channel !== 'browser') throw new Error(`a browser-only challenge step ran on the ${this.io.channel} channel`);
    return (this.io as BrowserIo).res;
  }

  get headless(): HeadlessIo | null {
    return this.io.channel === 'browser' ? null : (this.io as HeadlessIo);
  }

  /** The submitted fields: the posted form, or the code a headless channel carried. */
  get body(): Record<string, unknown> {
    const headless = this.headless;
    if (headless) return headless.code === undefined ? {} : { code: headless.code };
    return (this.req.body ?? {}) as Record<string, unknown>;
  }

  get clientIp(): string | undefined {
    return this.headless ? this.headless.clientIp : this.req.ip;
  }

  /** Fields every audit record of this challenge carries. */
  get auditBase() {
    return {
      user: this.user,
      adapter: this.challenge.adapter,
      relyingParty: this.challenge.relying_party ?? undefined,
      challengeId: this.challenge.id,
      clientIp: this.clientIp,
    };
  }

  get log(): Logger {
    return this.deps.logger.child({ challengeId: this.challenge?.id, userId: this.challenge?.user_id, adapter: this.challenge?.adapter, channel: this.io.channel });
  }
}
