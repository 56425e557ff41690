/**
 * Codes by text message. The number is the directory's mobile (else its phone), normalised to
 * E.164 with libphonenumber; the text carries the origin-bound line (`@host #code`) so a
 * browser autofills the code only on our own site. With `delivery.sms.fraudReplies` the text
 * also says "Not you? Reply FRAUD" and `POST /sms/inbound` takes the replies (sms-reply-route.ts).
 */
import { isPhoneNumberError, maskPhone, smsText, toE164, type MessageProvider, type SmsProviderConfig } from '../delivery/index.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import type { ChallengeFraudReporter } from './challenge-fraud-reporter.js';
import { createDeliveredCodeFactor, type DeliveredCodeFactorDeps } from './delivered-code-factor.js';
import type { Factor } from './factor.js';
import { mountSmsReplies } from './sms-reply-route.js';

addMessages('en', {
  'sms.label': 'Text message',
  'sms.prompt': 'Enter the code sent by text message to {to}.',
});
addMessages('fr', {
  'sms.label': 'SMS',
  'sms.prompt': 'Saisissez le code envoyé par SMS au {to}.',
});

export interface SmsFactorDeps extends DeliveredCodeFactorDeps {
  provider: MessageProvider;
  productName: string;
  /** Region for numbers written without a country code (ISO 3166-1). */
  defaultRegion: string;
  /** `delivery.sms`: whether replies are taken (`fraudReplies`) and how they are signed. */
  providerConfig: SmsProviderConfig;
  defaultLocale: Locale;
  /** Files the report of a FRAUD reply (the host's FraudReports). */
  fraud: ChallengeFraudReporter;
}

/** The directory's number for this channel in E.164, or null when it has none that parses. */
export function phoneFor(raw: (string | null)[], defaultRegion: string): string | null {
  for (const candidate of raw) {
    if (!candidate) continue;
    const e164 = toE164(candidate, defaultRegion);
    if (!isPhoneNumberError(e164)) return e164;
  }
  return null;
}

export function createSmsFactor(deps: SmsFactorDeps): Factor {
  const originHost = new URL(deps.publicUrl).hostname;
  const fraudReply = deps.providerConfig.type !== 'console' && deps.providerConfig.fraudReplies;
  const factor = createDeliveredCodeFactor(deps, {
    kind: 'sms',
    mode: 'code',
    address: (user) => phoneFor([user.mobile, user.phone], deps.defaultRegion),
    parse: (raw) => phoneFor([raw], deps.defaultRegion),
    mask: maskPhone,
    label: (locale) => t(locale, 'sms.label'),
    prompt: (locale, to) => t(locale, 'sms.prompt', { to: maskPhone(to) }),
    deliver: async ({ to, code, locale, ttlSeconds }) =>
      deps.provider.sendSms({ to, code: code!, locale, body: smsText(code!, { locale, productName: deps.productName, ttlSeconds, originHost, fraudReply }) }),
  });
  if (!fraudReply) return factor;
  const addressOf = factor.contact!.addressOf;
  const normalize = (raw: string) => phoneFor([raw], deps.defaultRegion);
  return { ...factor, routes: (router) => mountSmsReplies(router, { ...deps, normalize, addressOf }) };
}
