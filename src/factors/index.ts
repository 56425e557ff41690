/** Second-factor methods behind the `Factor` interface. */
import type { Kysely } from 'kysely';
import type { HostConfig } from '../host/config/schema.js';
import type { Clock } from '../host/clock.js';
import type { Database } from '../store/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import { TokenRepository } from '../tokens/token-repository.js';
import type { Factor } from './factor.js';
import { createTotpFactor } from './totp-factor.js';
import { createOathTokenFactor } from './oath-token-factor.js';

export type { Factor, FactorEnrolment, FactorFailureReason, FactorSendInput, FactorVerifyInput, FactorVerifyResult, NewFactorMaterial } from './factor.js';
export { createOathTokenFactor, OATH_FACTOR_KIND, type OathTokenFactorDeps } from './oath-token-factor.js';
export { createTotpFactor, otpauthUri, groupSecret, TOTP_SECRET_BYTES, type TotpConfig, type TotpParams } from './totp-factor.js';

/** The methods the host offers out of the box (delivered-code methods are added beside). */
export function createDefaultFactors(deps: {
  secrets: SecretBox;
  config: Pick<HostConfig, 'factors' | 'branding'>;
  /** The store: with it, users holding OATH hardware tokens can sign in with them. */
  db?: Kysely<Database>;
  clock?: Clock;
}): Factor[] {
  const totp = deps.config.factors.totp;
  const factors = [createTotpFactor({ secrets: deps.secrets, config: totp, issuer: totp.issuer ?? deps.config.branding.productName })];
  if (deps.db) factors.push(createOathTokenFactor({ tokens: new TokenRepository(deps.db, deps.secrets, deps.clock) }));
  return factors;
}
