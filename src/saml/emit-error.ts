/**
 * Errors raised while emitting SAML. They are `FactorgateError`s with code `INTERNAL`: a
 * document we refuse to emit means our own data or configuration is wrong, never the user's
 * fault, so the page shows the neutral message and the log gets `detail`.
 */
import { FactorgateError } from '../kit/errors.js';

export type SamlEmitErrorReason = 'FORBIDDEN_CHARACTER' | 'INVALID_INPUT' | 'INVALID_KEY';

export class SamlEmitError extends FactorgateError {
  readonly reason: SamlEmitErrorReason;

  constructor(reason: SamlEmitErrorReason, detail: string, cause?: unknown) {
    super('INTERNAL', { detail: `SAML emit: ${detail}`, cause });
    this.name = 'SamlEmitError';
    this.reason = reason;
  }
}
