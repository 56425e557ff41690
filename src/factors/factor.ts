/**
 * The contract every second-factor method implements. The challenge engine knows factors only
 * through this interface: it picks the user's rows from the `factors` table, asks the matching
 * `Factor` to verify what was typed, and itself applies the policies every method shares
 * (lockout, replay claim in the store, audit, session). A delivered-code method (SMS, voice,
 * email) adds `send`; a method users can register on the spot adds `enrolment`.
 */
import type { FactorRow } from '../store/schema.js';
import type { UserRecord } from '../host/host-api.js';
import type { Locale } from '../host/i18n.js';
import type { SafeHtml } from '../host/pages/html.js';

/**
 * Why a code was refused. Goes to the log and the audit record's deny reason; the user only
 * ever sees one neutral message (STYLE.md habit 5).
 */
export type FactorFailureReason =
  /** Well-formed but wrong (or outside the accepted window). */
  | 'MISMATCH'
  /** Right code for a step or counter already accepted (RFC 6238 §5.2, RFC 4226 §7.2). */
  | 'REPLAY'
  /** Not a code at all: wrong length, letters, empty. */
  | 'MALFORMED'
  /** The factor row has no usable secret (half-written, or unreadable with the key ring). */
  | 'UNUSABLE';

export type FactorVerifyResult =
  | {
      ok: true;
      /**
       * The time step or counter the code was for. The engine claims it in the store with a
       * conditional update, so two hosts verifying the same code at once cannot both win.
       */
      step?: number;
    }
  | { ok: false; reason: FactorFailureReason };

export interface FactorVerifyInput {
  user: UserRecord;
  factorRow: FactorRow;
  code: string;
  /** Epoch milliseconds from the injected clock. */
  now: number;
}

export interface FactorSendInput {
  user: UserRecord;
  factorRow: FactorRow;
  locale: Locale;
  now: number;
}

/** What a new, unconfirmed factor row is made of. */
export interface NewFactorMaterial {
  label: string | null;
  /** Already sealed with the secret box under `factor:<id>:secret`. */
  secretEnc: string | null;
  params: Record<string, unknown>;
}

/** Inline enrolment: create secret material, then show the user how to register it. */
export interface FactorEnrolment {
  create(input: { user: UserRecord; factorId: string; now: number }): Promise<NewFactorMaterial>;
  /** Instructions shown above the code field while the new factor awaits its first code. */
  render(input: { user: UserRecord; factorRow: FactorRow; locale: Locale }): Promise<SafeHtml>;
}

export interface Factor {
  /** Stored in `factors.kind`, listed in the outcome's `methods` and the audit record. */
  readonly kind: string;
  /** The method's name on the challenge page ("Authenticator app"). */
  label(locale: Locale): string;
  /** The hint under the code field ("Enter the 6-digit code shown in your app"). */
  prompt(locale: Locale, factorRow: FactorRow): string;
  /** Whether a row of this kind counts as a method the user can sign in with. */
  isEnrolled(row: FactorRow): boolean;
  verify(input: FactorVerifyInput): Promise<FactorVerifyResult>;
  /** Delivered codes only: called when the user picks this method. */
  send?(input: FactorSendInput): Promise<void>;
  enrolment?: FactorEnrolment;
}
