/**
 * Why a request from an app is refused: a stable reason for the log and the audit record, the
 * status and message key of the page the browser gets. A refused request never redirects.
 */
export type RefusalReason =
  | 'NO_REQUEST'
  | 'MALFORMED_REQUEST'
  | 'UNKNOWN_CLIENT'
  | 'BAD_SIGNATURE'
  | 'REQUEST_EXPIRED'
  | 'REQUEST_INVALID'
  | 'RETURN_URL_REFUSED'
  | 'REQUEST_REPLAYED'
  | 'UNKNOWN_USER'
  | 'USER_DISABLED';

const PAGE: Record<RefusalReason, { status: number; messageKey: string }> = {
  NO_REQUEST: { status: 400, messageKey: 'error.BAD_REQUEST' },
  MALFORMED_REQUEST: { status: 400, messageKey: 'error.BAD_REQUEST' },
  UNKNOWN_CLIENT: { status: 400, messageKey: 'error.UNKNOWN_RELYING_PARTY' },
  BAD_SIGNATURE: { status: 400, messageKey: 'error.BAD_REQUEST' },
  REQUEST_EXPIRED: { status: 400, messageKey: 'error.BAD_REQUEST' },
  REQUEST_INVALID: { status: 400, messageKey: 'error.BAD_REQUEST' },
  RETURN_URL_REFUSED: { status: 400, messageKey: 'error.BAD_REQUEST' },
  REQUEST_REPLAYED: { status: 400, messageKey: 'error.BAD_REQUEST' },
  // Unknown and disabled users meet the same page: it does not tell which names exist.
  UNKNOWN_USER: { status: 403, messageKey: 'error.FORBIDDEN' },
  USER_DISABLED: { status: 403, messageKey: 'error.FORBIDDEN' },
};

export class EmbedRefusal extends Error {
  readonly status: number;
  readonly messageKey: string;
  constructor(
    readonly reason: RefusalReason,
    /** What was wrong, for the log (never the token itself). */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'EmbedRefusal';
    this.status = PAGE[reason].status;
    this.messageKey = PAGE[reason].messageKey;
  }
}
