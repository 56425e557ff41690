import type { OtpAlgorithm } from '../otp/index.js';

/**
 * One third-party OATH token as read from a vendor's file, before it is stored or assigned.
 * The importers produce these; they never write anywhere.
 */
export interface ImportedToken {
  /** The number printed on the token; unique within a file. */
  serial: string;
  secret: Buffer;
  kind: 'hotp' | 'totp';
  algorithm: OtpAlgorithm;
  digits: number;
  /** TOTP time step in seconds; 30 for HOTP tokens, where it is unused. */
  period: number;
  /** HOTP: the next counter value expected. TOTP: 0. */
  counter: bigint;
  /**
   * PSKC `<Time>` (RFC 6030 §4.3.4) when the file gives one: the token's time value at
   * issue, kept as given for a later resync; its meaning is algorithm-specific.
   */
  time?: bigint;
  /** PSKC `<TimeDrift>`: the token's known drift in time steps. */
  driftSteps?: number;
  issuer?: string;
  manufacturer?: string;
  model?: string;
  /** PSKC `UserId` or the Entra CSV's `upn`: whom the vendor or the old system assigned it to. */
  userId?: string;
}

export type ImportProblemCode =
  | 'NOT_XML'
  | 'XML_DTD_FORBIDDEN'
  | 'NOT_PSKC'
  | 'WRONG_VERSION'
  | 'TOO_LARGE'
  | 'UNKNOWN_ENCRYPTION_ALGORITHM'
  | 'UNKNOWN_MAC_ALGORITHM'
  | 'UNKNOWN_KEY_DERIVATION'
  | 'MISSING_DECRYPTION_KEY'
  | 'DECRYPTION_FAILED'
  | 'MISSING_MAC_KEY'
  | 'MISSING_MAC'
  | 'BAD_MAC'
  | 'UNKNOWN_ALGORITHM'
  | 'UNSUPPORTED_RESPONSE_FORMAT'
  | 'UNSUPPORTED_POLICY'
  | 'BAD_DIGITS'
  | 'BAD_COUNTER'
  | 'BAD_TIME_STEP'
  | 'BAD_INTEGER'
  | 'MISSING_SECRET'
  | 'BAD_SECRET'
  | 'SECRET_TOO_SHORT'
  | 'MISSING_SERIAL'
  | 'DUPLICATE_SERIAL'
  | 'BAD_BASE32'
  | 'CSV_SYNTAX'
  | 'MISSING_COLUMNS'
  | 'UNKNOWN_HEADER'
  | 'EMPTY_FILE';

/** Why one row, key or the whole file was not imported, named so an administrator can fix it. */
export interface ImportProblem {
  code: ImportProblemCode;
  message: string;
  /** CSV: the 1-based line the row starts on. */
  line?: number;
  /** PSKC: the `Key` element's `Id`. */
  keyId?: string;
  serial?: string;
}

/**
 * Every good token and every problem. Import is all-or-nothing by default: a caller stores
 * nothing when `problems` is non-empty, unless the administrator asked for a partial import
 * (`--partial`), in which case `tokens` holds exactly the rows that had no problem.
 */
export interface ImportResult {
  tokens: ImportedToken[];
  problems: ImportProblem[];
}

/**
 * RFC 4226 §4 R6: "The length of the shared secret MUST be at least 128 bits." Some old
 * hardware tokens carry 80-bit seeds; `minSecretBytes` lets an administrator accept them
 * knowingly.
 */
export const DEFAULT_MIN_SECRET_BYTES = 16;
