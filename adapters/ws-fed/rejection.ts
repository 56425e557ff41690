/**
 * Why a WS-Federation request was refused. Each rejection names the realm (when known) and says
 * what was wrong in words fit for the error page (`publicDetail`), so an administrator can fix
 * the relying party; the reason goes to the log and the audit record. No parameter value is
 * shown whole (they are clipped and stripped of control characters).
 */
import { FactorgateError, type ErrorCode } from '../../src/sdk/adapter.js';

export type RejectionReason =
  | 'TOO_LARGE'
  | 'BAD_ENCODING'
  | 'DUPLICATE_PARAMETER'
  | 'UNSUPPORTED_ACTION'
  | 'MISSING_REALM'
  | 'UNKNOWN_REALM'
  | 'FOREIGN_REPLY'
  | 'CONTEXT_TOO_LONG'
  | 'BAD_FRESHNESS'
  | 'NO_SESSION'
  | 'REPLAYED'
  | 'NAMEID_UNAVAILABLE';

const CODES: Partial<Record<RejectionReason, ErrorCode>> = {
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  BAD_ENCODING: 'BAD_REQUEST',
  DUPLICATE_PARAMETER: 'BAD_REQUEST',
  UNKNOWN_REALM: 'UNKNOWN_RELYING_PARTY',
  NO_SESSION: 'CHALLENGE_NOT_FOUND',
  REPLAYED: 'CHALLENGE_USED',
};

export class WsFedRejection extends FactorgateError {
  readonly reason: RejectionReason;
  readonly realm: string | undefined;

  constructor(reason: RejectionReason, publicDetail: string, options: { realm?: string | undefined } = {}) {
    super(CODES[reason] ?? 'SAML_REQUEST_INVALID', {
      publicDetail: options.realm === undefined ? publicDetail : `Realm “${options.realm}”: ${publicDetail}`,
      detail: reason,
    });
    this.name = 'WsFedRejection';
    this.reason = reason;
    this.realm = options.realm;
  }
}
