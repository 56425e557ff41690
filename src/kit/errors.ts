/**
 * The one errors module. Every domain error has a stable `code`, an HTTP status, whether its
 * public message may be shown, and a message key for the error page. Internals go in `cause`
 * and `detail`; they reach the log, never a page.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'CSRF_FAILED'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'LOGIN_FAILED'
  | 'USER_DISABLED'
  | 'USER_LOCKED'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'CHALLENGE_NOT_FOUND'
  | 'CHALLENGE_EXPIRED'
  | 'CHALLENGE_USED'
  | 'CHALLENGE_WRONG_BROWSER'
  | 'FACTOR_FAILED'
  | 'NO_FACTOR'
  | 'DIRECTORY_UNAVAILABLE'
  | 'UPSTREAM_UNAVAILABLE'
  | 'SAML_REQUEST_INVALID'
  | 'SAML_RESPONSE_INVALID'
  | 'UNKNOWN_RELYING_PARTY'
  | 'DELIVERY_FAILED'
  | 'CONFIG_INVALID'
  | 'STORE_ERROR'
  | 'STORE_UNAVAILABLE'
  | 'SECRET_TAMPERED'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  LOGIN_FAILED: 401,
  USER_DISABLED: 401,
  USER_LOCKED: 401,
  RATE_LIMITED: 429,
  BUSY: 503,
  CHALLENGE_NOT_FOUND: 404,
  CHALLENGE_EXPIRED: 410,
  CHALLENGE_USED: 409,
  CHALLENGE_WRONG_BROWSER: 403,
  FACTOR_FAILED: 401,
  NO_FACTOR: 403,
  DIRECTORY_UNAVAILABLE: 503,
  UPSTREAM_UNAVAILABLE: 502,
  SAML_REQUEST_INVALID: 400,
  SAML_RESPONSE_INVALID: 400,
  UNKNOWN_RELYING_PARTY: 400,
  DELIVERY_FAILED: 502,
  CONFIG_INVALID: 500,
  STORE_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  SECRET_TAMPERED: 500,
  INTERNAL: 500,
};

export interface FactorgateErrorOptions {
  /** Private detail for the log and the audit record; never shown to the user. */
  detail?: string;
  /** Public detail that may be shown (e.g. which relying party and what was wrong). */
  publicDetail?: string;
  cause?: unknown;
  /** Override the default status of the code. */
  status?: number;
}

export class FactorgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Whether the page may show `publicDetail`; the message key is always shown. */
  readonly expose: boolean;
  readonly detail: string | undefined;
  readonly publicDetail: string | undefined;

  constructor(code: ErrorCode, options: FactorgateErrorOptions = {}) {
    super(options.detail ? `${code}: ${options.detail}` : code, { cause: options.cause });
    this.name = 'FactorgateError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.expose = this.status < 500 || this.status === 502 || this.status === 503;
    this.detail = options.detail;
    this.publicDetail = options.publicDetail;
  }
}

export function isFactorgateError(err: unknown): err is FactorgateError {
  return err instanceof FactorgateError;
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}
