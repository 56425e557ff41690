/**
 * Phone calls. `read-code`: the call reads a code that the user types on the page, exactly
 * like SMS. `press-pound`: the call asks the user to press #, the provider reports the key to
 * `POST /mfa/voice-callback?token=…` (see `voice-callback-route.ts`), and the page's
 * "Continue" finds the challenge approved. The number is the directory's phone (else mobile).
 */
import { maskPhone, type MessageProvider } from '../delivery/index.js';
import { addMessages, t } from '../kit/i18n.js';
import { createDeliveredCodeFactor, type DeliveredCodeFactorDeps } from './delivered-code-factor.js';
import { phoneFor } from './sms-factor.js';
import { mountVoiceCallback, type VoiceCallbackDeps } from './voice-callback-route.js';
import type { Factor } from './factor.js';

addMessages('en', {
  'voice.label': 'Phone call',
  'voice.prompt': 'Enter the code read to you in a call to {to}.',
  'voice.prompt.pound': 'Answer the call to {to} and press the # key, then choose Continue.',
});
addMessages('fr', {
  'voice.label': 'Appel téléphonique',
  'voice.prompt': 'Saisissez le code lu lors de l’appel au {to}.',
  'voice.prompt.pound': 'Répondez à l’appel au {to} et appuyez sur la touche #, puis choisissez Continuer.',
});

export interface VoiceFactorDeps extends DeliveredCodeFactorDeps, VoiceCallbackDeps {
  provider: MessageProvider;
  mode: 'read-code' | 'press-pound';
  defaultRegion: string;
}

export function createVoiceFactor(deps: VoiceFactorDeps): Factor {
  const pound = deps.mode === 'press-pound';
  const factor = createDeliveredCodeFactor(deps, {
    kind: 'voice',
    mode: pound ? 'press-pound' : 'code',
    address: (user) => phoneFor([user.phone, user.mobile], deps.defaultRegion),
    parse: (raw) => phoneFor([raw], deps.defaultRegion),
    mask: maskPhone,
    label: (locale) => t(locale, 'voice.label'),
    prompt: (locale, to) => t(locale, pound ? 'voice.prompt.pound' : 'voice.prompt', { to: maskPhone(to) }),
    deliver: async ({ to, code, callbackUrl, locale }) =>
      pound
        ? deps.provider.placeCall({ to, mode: 'press-pound', callbackUrl: callbackUrl!, locale })
        : deps.provider.placeCall({ to, mode: 'read-code', code: code!, locale }),
  });
  if (!pound) return factor;
  return { ...factor, routes: (router) => mountVoiceCallback(router, deps) };
}
