/**
 * The contract every second-factor method implements. The challenge engine knows factors only
 * through this interface: it picks the user's rows from the `factors` table, asks the matching
 * `Factor` to verify what was typed, and itself applies the policies every method shares
 * (lockout, replay claim in the store, audit, session). A delivered-code method (SMS, voice,
 * email) adds `send`; a method users can register on the spot adds `enrolment`.
 */
import type { Router } from 'express';
import type { FactorRow } from '../store/schema.js';
import type { UserRecord } from '../api/host-api.js';
import type { Locale } from '../kit/i18n.js';
import type { SafeHtml } from '../kit/pages/html.js';

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
  | 'UNUSABLE'
  /** A delivered code that was right but past its lifetime (NIST SP 800-63B §5.1.3.1). */
  | 'EXPIRED'
  /**
   * An out-of-band approval (a "press #" call) has not arrived yet. Not an attempt: nothing was
   * guessed, so the engine shows the page again without counting a failure.
   */
  | 'PENDING'
  /** WebAuthn: a signature counter at or below the stored one (a cloned key, W3C WebAuthn §6.1.1). */
  | 'COUNTER_REGRESSION'
  /** WebAuthn: an authenticator outside `allowedAaguids`, or one whose backup eligibility changed. */
  | 'AUTHENTICATOR_REFUSED';

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
  /** The challenge being answered: a delivered code is valid only for the challenge it was sent for. */
  challengeId?: string | undefined;
  /** The PIN field, for methods whose `pinRequired` says so. */
  pin?: string | undefined;
}

export interface FactorSendInput {
  user: UserRecord;
  factorRow: FactorRow;
  locale: Locale;
  now: number;
  challengeId: string;
}

/**
 * What a send did. A refusal is data, not an exception: the engine audits the reason and shows
 * the page again with the user's other methods (the "provider down → other methods").
 */
export type FactorSendResult =
  | { sent: true; detail?: string | undefined }
  | {
      sent: false;
      reason: 'RESEND_TOO_SOON' | 'CHALLENGE_SEND_LIMIT' | 'USER_SEND_LIMIT' | 'DELIVERY_FAILED' | 'NO_ADDRESS';
      /** For the log and the audit record only (never the code, never the whole number). */
      detail?: string | undefined;
      /** RESEND_TOO_SOON: how long until a send is allowed again (the page says so). */
      retryAfterMs?: number | null | undefined;
    };

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
  /** Delivered codes only: called when the user asks for a (new) code for this method. */
  send?(input: FactorSendInput): Promise<FactorSendResult>;
  /**
   * Delivered codes only: whether a code (or call) went out for this challenge and method, so
   * the page asks for the code only once there is one to type ("Send me a code" comes first).
   */
  sentFor?(input: { challengeId: string; factorRow: FactorRow }): Promise<boolean>;
  /**
   * Methods that come from directory data (a phone number, an address): brings the user's row
   * of this kind in step with it before the methods are listed (creates, updates or removes it).
   */
  provision?(input: { user: UserRecord; now: number }): Promise<void>;
  /** The page asks for a PIN beside the code ("code + PIN" mode). */
  pinRequired?(row: FactorRow): boolean;
  /** The page shows "Continue" instead of a code field: the approval arrives out of band. */
  awaitsConfirmation?(row: FactorRow): boolean;
  /** Routes the method needs on the host (a provider's callback), mounted beside `/mfa/:id`. */
  routes?(router: Router): void;
  enrolment?: FactorEnrolment;
  /**
   * Methods answered by the browser rather than typed (WebAuthn): the page shows this instead of
   * the code field, inside the same form (it fills a hidden `code` field and submits it).
   */
  /**
   * Delivered methods (SMS, voice, email): how the portal adds the user's own number or address
   * where the directory does not own it, verified by a code before it counts.
   */
  contact?: ContactEnrolment;
  renderField?(input: { user: UserRecord; factorRow: FactorRow; locale: Locale; challengeId: string }): Promise<SafeHtml>;
}

/** What the portal needs from a delivered method to add a user's own number or address. */
export interface ContactEnrolment {
  /** The typed number or address in the form the sender wants, or null when it is not one. */
  parse(raw: string): string | null;
  /** The row's sealed address and params for a self-added method. */
  material(factorId: string, to: string): { secretEnc: string; params: { self: true } };
  /** The row's address (sealed or from the directory), or null when it has none usable. */
  addressOf(row: FactorRow): string | null;
  /** Masked for pages and mails (`+33 6•• ••• •78`, `a••••@example.com`). */
  mask(to: string): string;
  /**
   * Checks the code sent for `verificationId` (the portal's own, not a challenge): the address is
   * the user's once a code sent to it comes back. No PIN here: the PIN is a sign-in secret.
   */
  confirm(input: { factorRow: FactorRow; code: string; now: number; verificationId: string }): Promise<FactorVerifyResult>;
}
