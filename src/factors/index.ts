/** Second-factor methods behind the `Factor` interface. */
import { isAbsolute, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditApi, UserApi, UserRecord } from '../api/host-api.js';
import { createMailer, createMessageProvider, loadTemplates, type Mailer, type FetchFn } from '../delivery/index.js';
import type { DerivedKeys } from '../store/derived-keys.js';
import type { PinSealer } from '../delivery/index.js';
import { createSmsFactor } from './sms-factor.js';
import { createVoiceFactor } from './voice-factor.js';
import { createEmailFactor } from './email-factor.js';
import type { HostConfig } from '../config/schema.js';
import type { Clock } from '../kit/clock.js';
import type { Database } from '../store/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import { TokenRepository } from '../tokens/token-repository.js';
import type { Factor } from './factor.js';
import type { ChallengeFraudReporter } from './challenge-fraud-reporter.js';
import { createTotpFactor } from './totp-factor.js';
import { createOathTokenFactor } from './oath-token-factor.js';
import { createBackupCodeFactor } from './backup-code-factor.js';
import { BackupCodes } from './backup-codes.js';
import { createWebAuthnFactor } from './webauthn-factor.js';

export type { ChallengeFraudReporter } from './challenge-fraud-reporter.js';
export type { Factor, FactorEnrolment, FactorFailureReason, FactorSendInput, FactorSendResult, FactorVerifyInput, FactorVerifyResult, NewFactorMaterial } from './factor.js';
export { CODE_PEPPER_INFO, codePepper, deliveredFactorId, MAX_ATTEMPTS_PER_CODE, VOICE_CALLBACK_PATH } from './delivered-code-factor.js';
export { createSmsFactor } from './sms-factor.js';
export { createVoiceFactor } from './voice-factor.js';
export { createEmailFactor, maskEmail } from './email-factor.js';
export { maskContact } from './mask-contact.js';
export { createOathTokenFactor, OATH_FACTOR_KIND, type OathTokenFactorDeps } from './oath-token-factor.js';
export { BackupCodes, BACKUP_CODE_COUNT, BACKUP_CODE_KIND, formatBackupCode, normalizeBackupCode } from './backup-codes.js';
export { backupCodesLeft, createBackupCodeFactor } from './backup-code-factor.js';
export { createWebAuthnFactor, assertionChallenge, readWebAuthnParams, WEBAUTHN_KIND, type WebAuthnConfig, type WebAuthnParams } from './webauthn-factor.js';
export { createTotpFactor, otpauthUri, groupSecret, TOTP_SECRET_BYTES, type TotpConfig, type TotpParams } from './totp-factor.js';

/** The methods the host offers out of the box (delivered-code methods are added beside). */
export function createDefaultFactors(deps: {
  secrets: SecretBox;
  config: Pick<HostConfig, 'factors' | 'branding'>;
  /** The store: with it, users holding OATH hardware tokens can sign in with them. */
  db?: Kysely<Database>;
  clock?: Clock;
  /** `server.publicUrl`: with the store, turns on `factors.webauthn` when configured. */
  publicUrl?: string;
  logger?: Logger;
  /** Backup-code uses are audited with the count left; so are WebAuthn counter regressions accepted by policy. */
  audit?: AuditApi;
  /** `factors.webauthn.userVerificationRequiredFor`, answered by the host (directory groups, roles). */
  userVerificationRequired?: (user: UserRecord) => Promise<boolean>;
}): Factor[] {
  const { totp, webauthn } = deps.config.factors;
  const productName = deps.config.branding.productName;
  const factors = [createTotpFactor({ secrets: deps.secrets, config: totp, issuer: totp.issuer ?? productName })];
  if (deps.db) {
    factors.push(createOathTokenFactor({ tokens: new TokenRepository(deps.db, deps.secrets, deps.clock) }));
    factors.push(createBackupCodeFactor({ codes: new BackupCodes(deps.db), ...(deps.audit ? { audit: deps.audit } : {}) }));
  }
  if (deps.db && webauthn && deps.publicUrl) {
    const factor = createWebAuthnFactor({ db: deps.db, config: webauthn, publicUrl: deps.publicUrl, rpName: productName, logger: deps.logger, audit: deps.audit, userVerificationRequired: deps.userVerificationRequired });
    // The first factor with enrolment is the one offered to users who have none.
    if (webauthn.offerAtEnrolment) factors.unshift(factor);
    else factors.push(factor);
  }
  return factors;
}

/**
 * The delivered-code methods whose `factors.<kind>` section is configured, each with the sender
 * from `delivery`. Code hashes are peppered with keys derived from the secrets key ring, so
 * every host sharing the keys (and the store) verifies every host's codes.
 */
/** The SMTP mailer of `delivery.smtp` with the configured templates, or null without one. */
export function configuredMailer(config: Pick<HostConfig, 'delivery' | 'configFile'>, logger: Logger): Mailer | null {
  const delivery = config.delivery;
  if (!delivery?.smtp) return null;
  const base = config.configFile ? resolve(config.configFile, '..') : process.cwd();
  const templatesDir = delivery.templatesDir && (isAbsolute(delivery.templatesDir) ? delivery.templatesDir : resolve(base, delivery.templatesDir));
  return createMailer(delivery.smtp, { logger, templates: loadTemplates({ templatesDir }) });
}

export function createDeliveredFactors(deps: {
  config: Pick<HostConfig, 'factors' | 'delivery' | 'branding' | 'publicUrl' | 'configFile'>;
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  audit: AuditApi;
  users: Pick<UserApi, 'findById'>;
  /** The secret box: PIN hashes are sealed with it. */
  secrets: PinSealer;
  /** Peppers of code hashes, derived from the secrets key ring (`CODE_PEPPER_INFO`). */
  peppers: Pick<DerivedKeys, 'current' | 'accepted'>;
  /** The "This wasn't me" link an emailed code carries. */
  fraudLink?: (challengeId: string, codeExpiresAt: number) => string;
  /** Files the reports of the phone channels: `0` on a call, a FRAUD reply to a text. */
  fraud: ChallengeFraudReporter;
  /** Tests inject fetch for providers; default the global one. */
  fetch?: FetchFn;
}): Factor[] {
  const { config } = deps;
  const { sms, voice, email } = config.factors;
  if (!sms && !voice && !email) return [];
  const delivery = config.delivery;
  const productName = config.branding.productName;
  const defaultLocale = config.branding.defaultLocale;
  const defaultRegion = delivery?.defaultRegion ?? 'US';
  const common = { db: deps.db, clock: deps.clock, logger: deps.logger, secrets: deps.secrets, peppers: deps.peppers, publicUrl: config.publicUrl };
  const providerDeps = { logger: deps.logger, clock: deps.clock, productName, defaultLocale, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  const factors: Factor[] = [];
  if (sms && delivery?.sms) {
    const provider = createMessageProvider(delivery.sms, providerDeps);
    factors.push(createSmsFactor({ ...common, policy: sms, pin: sms.pin, provider, productName, defaultRegion, providerConfig: delivery.sms, defaultLocale, fraud: deps.fraud }));
  }
  if (voice && delivery?.voice) {
    const provider = createMessageProvider(delivery.voice, providerDeps);
    factors.push(
      createVoiceFactor({ ...common, policy: voice, pin: voice.pin, provider, providerConfig: delivery.voice, mode: voice.mode, defaultRegion, defaultLocale, audit: deps.audit, users: deps.users, fraud: deps.fraud }),
    );
  }
  if (email) {
    const mailer = email.transport === 'smtp' ? configuredMailer(config, deps.logger) : null;
    factors.push(createEmailFactor({ ...common, policy: email, pin: 'off', mailer, productName, revealCodes: email.revealCodes, fraudLink: deps.fraudLink }));
  }
  return factors;
}
