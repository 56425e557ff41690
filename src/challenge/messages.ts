/**
 * The challenge page's words. One failure message for every refused code (STYLE.md habit 5),
 * except a reused one, which tells the user to wait for the next code (issue 26 item 7).
 */
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
  'mfa.pin': 'PIN',
  'mfa.send': 'Send me a code',
  'mfa.resend': 'Send a new code',
  'mfa.continue': 'Continue',
  'mfa.notice.sent': 'A code is on its way.',
  'mfa.notice.wait': 'A code was sent a moment ago. Wait a little before asking for another one.',
  'mfa.notice.limit': 'No more codes can be sent now. Use the code you received, or another method.',
  'mfa.notice.failed': 'We could not reach you by this method just now. Try again later, or use another method.',
  'mfa.notice.pending': 'We have not received your confirmation yet. Answer the call, then choose Continue.',
  'mfa.notice.waitSeconds': 'A code was sent a moment ago. You can ask for another one in {seconds} seconds.',
  'mfa.notice.waitSecond': 'A code was sent a moment ago. You can ask for another one in 1 second.',
  'mfa.codeSent': 'Enter the code we sent',
  'mfa.sendFirst': 'Method: {method}. We send a code when you ask for one.',
  'mfa.failed.replay': 'This code was already used. Wait for a new code.',
  'mfa.failed.replay.totp': 'This code was already used. Wait for the next code in your app.',
  'mfa.failed.replay.oath': 'This code was already used. Use the next code from your token.',
  'mfa.failed.replay.sms': 'This code was already used. Ask for a new code.',
  'mfa.failed.replay.voice': 'This code was already used. Ask for a new code.',
  'mfa.failed.replay.email': 'This code was already used. Ask for a new code.',
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
  'mfa.pin': 'Code PIN',
  'mfa.send': 'M’envoyer un code',
  'mfa.resend': 'Envoyer un nouveau code',
  'mfa.continue': 'Continuer',
  'mfa.notice.sent': 'Un code vous a été envoyé.',
  'mfa.notice.wait': 'Un code vient d’être envoyé. Patientez un peu avant d’en demander un autre.',
  'mfa.notice.limit': 'Aucun autre code ne peut être envoyé pour l’instant. Utilisez le code reçu, ou une autre méthode.',
  'mfa.notice.failed': 'Nous n’avons pas pu vous joindre par cette méthode. Réessayez plus tard, ou utilisez une autre méthode.',
  'mfa.notice.pending': 'Nous n’avons pas encore reçu votre confirmation. Répondez à l’appel, puis choisissez Continuer.',
  'mfa.notice.waitSeconds': 'Un code vient d’être envoyé. Vous pourrez en demander un autre dans {seconds} secondes.',
  'mfa.notice.waitSecond': 'Un code vient d’être envoyé. Vous pourrez en demander un autre dans 1 seconde.',
  'mfa.codeSent': 'Saisissez le code envoyé',
  'mfa.sendFirst': 'Méthode : {method}. Nous envoyons un code quand vous le demandez.',
  'mfa.failed.replay': 'Ce code a déjà été utilisé. Attendez un nouveau code.',
  'mfa.failed.replay.totp': 'Ce code a déjà été utilisé. Attendez le code suivant dans votre application.',
  'mfa.failed.replay.oath': 'Ce code a déjà été utilisé. Utilisez le code suivant de votre jeton.',
  'mfa.failed.replay.sms': 'Ce code a déjà été utilisé. Demandez un nouveau code.',
  'mfa.failed.replay.voice': 'Ce code a déjà été utilisé. Demandez un nouveau code.',
  'mfa.failed.replay.email': 'Ce code a déjà été utilisé. Demandez un nouveau code.',
};

addMessages('en', en);
addMessages('fr', fr);

export type ChallengeMessageKey = keyof typeof en;
