/**
 * Why a SAML message was refused. Each rejection names the relying party (when known) and says
 * what was wrong in words fit for the error page (`publicDetail`): an administrator reading it
 * can fix the SP's configuration. Nothing of the message itself (no XML) goes into it.
 */
import { FactorgateError } from '../../src/sdk/adapter.js';

export type RejectionReason =
  | 'TOO_LARGE'
  | 'DEFLATE_BOMB'
  | 'BAD_ENCODING'
  | 'MISSING_MESSAGE'
  | 'DUPLICATE_PARAMETER'
  | 'DOCTYPE'
  | 'MALFORMED_XML'
  | 'WRONG_MESSAGE'
  | 'BAD_VERSION'
  | 'BAD_ID'
  | 'MISSING_ISSUER'
  | 'UNKNOWN_ISSUER'
  | 'SIGNATURE_REQUIRED'
  | 'WEAK_ALGORITHM'
  | 'SIGNATURE_INVALID'
  | 'SIGNATURE_WRAPPING'
  | 'SIGNATURE_TRANSFORM'
  | 'COMMENT'
  | 'BAD_DESTINATION'
  | 'STALE_REQUEST'
  | 'FOREIGN_ACS'
  | 'RELAY_STATE_TOO_LONG'
  | 'REPLAYED_REQUEST'
  | 'IDP_INITIATED_DISABLED'
  | 'UNKNOWN_RELYING_PARTY'
  | 'NO_SESSION'
  | 'NAMEID_UNAVAILABLE'
  | 'CONFIG';

export class SamlRejection extends FactorgateError {
  readonly reason: RejectionReason;
  /** The relying party's configured name, once the issuer is known. */
  readonly relyingParty: string | undefined;

  constructor(reason: RejectionReason, publicDetail: string, options: { relyingParty?: string | undefined; detail?: string } = {}) {
    super(reason === 'UNKNOWN_ISSUER' || reason === 'UNKNOWN_RELYING_PARTY' ? 'UNKNOWN_RELYING_PARTY' : 'SAML_REQUEST_INVALID', {
      publicDetail: options.relyingParty === undefined ? publicDetail : `Relying party “${options.relyingParty}”: ${publicDetail}`,
      detail: `${reason}${options.detail ? `: ${options.detail}` : ''}`,
    });
    this.name = 'SamlRejection';
    this.reason = reason;
    this.relyingParty = options.relyingParty;
  }
}
