/**
 * The Reply-Message texts of this adapter, in the client's language. The method's own prompt
 * ("Enter the 6-digit code shown in your app") comes from the challenge engine, localised by
 * the factor; these frame it.
 */
export type PromptLocale = 'en' | 'fr';

const TEXT = {
  en: {
    failed: 'That code did not work.',
    sent: 'A code has been sent.',
    notSent: 'The code could not be sent; use another method or try again later.',
    denied: 'Sign-in refused.',
  },
  fr: {
    failed: 'Ce code n’a pas fonctionné.',
    sent: 'Un code vous a été envoyé.',
    notSent: 'Le code n’a pas pu être envoyé ; essayez une autre méthode ou réessayez plus tard.',
    denied: 'Connexion refusée.',
  },
} as const;

export function challengePrompt(locale: PromptLocale, step: { prompt: string; sent: boolean; failed: boolean; notice?: string | undefined }): string {
  const t = TEXT[locale];
  const lead = step.failed ? `${t.failed} ` : step.sent ? `${t.sent} ` : step.notice && step.notice !== 'pending' ? `${t.notSent} ` : '';
  return `${lead}${step.prompt}`;
}

export function deniedMessage(locale: PromptLocale): string {
  return TEXT[locale].denied;
}
