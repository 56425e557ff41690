import { CODE_PEPPER_INFO, configuredMailer, createDefaultFactors, createDeliveredFactors } from '../../factors/index.js';
import { DerivedKeys } from '../../store/derived-keys.js';
import { FRAUD_LINK_INFO, FraudLinks } from '../../fraud/fraud-link.js';
import { FraudReports } from '../../fraud/fraud-reports.js';
import { userVerificationPolicy } from '../user-verification-policy.js';
import type { StartStep } from './start-context.js';

/**
 * The factors are built from the configuration once; codes sent by SMS, voice or email are
 * peppered with a derived key; emailed codes carry a signed "This wasn't me" link, and the phone
 * channels file their reports (`0` on a call, a FRAUD reply) through the same FraudReports as the
 * challenge page's button.
 */
export const createFactors: StartStep = (ctx) => {
  const { config, clock, logger, secrets, audit, users } = ctx;
  const db = ctx.store.db;
  ctx.fraudLinks = new FraudLinks(new DerivedKeys(ctx.keys, FRAUD_LINK_INFO, ctx.derivedKeyOptions), config.publicUrl, clock);
  ctx.fraudReports = new FraudReports({ db, audit, users, logger, config: config.policies.fraud, mailer: configuredMailer(config, logger), productName: config.branding.productName });
  const fraudLink = (challengeId: string, codeExpiresAt: number) => ctx.fraudLinks.url(challengeId, codeExpiresAt);
  ctx.factors = [
    ...createDefaultFactors({ secrets, config, db, clock, publicUrl: config.publicUrl, logger, audit, userVerificationRequired: userVerificationPolicy(config, ctx.directory) }),
    ...createDeliveredFactors({ config, db, clock, logger, audit, users, secrets, peppers: new DerivedKeys(ctx.keys, CODE_PEPPER_INFO, ctx.derivedKeyOptions), fraudLink, fraud: ctx.fraudReports }),
  ];
};
