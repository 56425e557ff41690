/** What a signature check says when it refuses, shared by the Response and the request checks. */

/** Machine reasons, for the log and the audit record; never shown to a user as such. */
export type SignatureFailureReason = 'WRAPPING' | 'TRANSFORM' | 'SHA1' | 'ALGORITHM' | 'SIGNATURE_INVALID';

export interface SignatureFailure {
  ok: false;
  reason: SignatureFailureReason;
  /** For the log and audit only: may quote (clipped) values from the untrusted document. */
  detail: string;
}

export function signatureFailure(reason: SignatureFailureReason, detail: string): SignatureFailure {
  return { ok: false, reason, detail };
}
