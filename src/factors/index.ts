/** Second-factor methods behind the `Factor` interface. */
import type { HostConfig } from '../host/config/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import type { Factor } from './factor.js';
import { createTotpFactor } from './totp-factor.js';

export type { Factor, FactorEnrolment, FactorFailureReason, FactorSendInput, FactorVerifyInput, FactorVerifyResult, NewFactorMaterial } from './factor.js';
export { createTotpFactor, otpauthUri, groupSecret, TOTP_SECRET_BYTES, type TotpConfig, type TotpParams } from './totp-factor.js';

/** The methods the host offers out of the box (delivered-code methods are added beside). */
export function createDefaultFactors(deps: { secrets: SecretBox; config: Pick<HostConfig, 'factors' | 'branding'> }): Factor[] {
  const totp = deps.config.factors.totp;
  return [createTotpFactor({ secrets: deps.secrets, config: totp, issuer: totp.issuer ?? deps.config.branding.productName })];
}
