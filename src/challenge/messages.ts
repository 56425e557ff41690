/** The challenge page's words. One failure message for every refused code (STYLE.md habit 5). */
import { addMessages } from '../host/i18n.js';

const en = {
  'mfa.title': 'Verify it’s you',
  'mfa.enrol.title': 'Set up two-step verification',
  'mfa.signingInAs': 'Signing in as {name}.',
  'mfa.code': 'Verification code',
  'mfa.submit': 'Verify',
  'mfa.enrol.submit': 'Verify and finish',
  'mfa.failed': 'That code could not be accepted. Check it and try again.',
  'mfa.otherMethods': 'Use another method',
  'mfa.useMethod': 'Use {method}',
  'mfa.default': 'default',
  'mfa.language': 'Language',
  'mfa.expires': 'This page expires a few minutes after it opens.',
};

const fr: Record<keyof typeof en, string> = {
  'mfa.title': 'Vérifiez votre identité',
  'mfa.enrol.title': 'Configurer la validation en deux étapes',
  'mfa.signingInAs': 'Connexion en tant que {name}.',
  'mfa.code': 'Code de vérification',
  'mfa.submit': 'Vérifier',
  'mfa.enrol.submit': 'Vérifier et terminer',
  'mfa.failed': 'Ce code n’a pas pu être accepté. Vérifiez-le et réessayez.',
  'mfa.otherMethods': 'Utiliser une autre méthode',
  'mfa.useMethod': 'Utiliser : {method}',
  'mfa.default': 'par défaut',
  'mfa.language': 'Langue',
  'mfa.expires': 'Cette page expire quelques minutes après son ouverture.',
};

addMessages('en', en);
addMessages('fr', fr);

export type ChallengeMessageKey = keyof typeof en;
