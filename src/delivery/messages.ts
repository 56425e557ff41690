/**
 * The short texts of SMS and calls (mails use the Handlebars templates). Kept in code: they
 * are one line each, must stay within one SMS segment, and are spoken by a text-to-speech
 * engine, so wording is tuned here rather than left to overrides.
 */
import type { Locale } from './locale.js';

export interface SmsTextOptions {
  locale: Locale;
  productName: string;
  ttlSeconds: number;
  /**
   * The host users sign in at (e.g. `mfa.example.com`). Adds the origin-bound line of the
   * WICG "origin-bound one-time codes" format (`@host #code`), so a browser autofills the code
   * only on that site: a phishing page cannot harvest it by autofill.
   */
  originHost?: string | undefined;
}

export function smsText(code: string, opts: SmsTextOptions): string {
  const minutes = Math.max(1, Math.round(opts.ttlSeconds / 60));
  const text =
    opts.locale === 'fr'
      ? `${code} est votre code ${opts.productName}. Il expire dans ${minutes} min. Ne le communiquez à personne.`
      : `${code} is your ${opts.productName} code. It expires in ${minutes} min. Never share it.`;
  return opts.originHost ? `${text}\n\n@${opts.originHost} #${code}` : text;
}

/** Digits separated by commas, so text-to-speech reads "1, 2, 3" and not "one hundred twenty-three". */
export function spokenDigits(code: string): string {
  return [...code].join(', ');
}

export interface VoiceScript {
  /** BCP 47 tag for the speech engine. */
  language: string;
  /** Read-code mode: said twice, the second time after "I repeat". */
  codeIntro: (code: string) => string;
  repeat: (code: string) => string;
  /** Press-pound mode: `#` approves, `0#` reports fraud (the MFA Server's keys). */
  pressPound: string;
  noInput: string;
}

export function voiceScript(locale: Locale, productName: string): VoiceScript {
  if (locale === 'fr') {
    return {
      language: 'fr-FR',
      codeIntro: (code) => `Votre code ${productName} est : ${spokenDigits(code)}.`,
      repeat: (code) => `Je répète : ${spokenDigits(code)}.`,
      pressPound: `Ceci est ${productName}. Pour confirmer votre connexion, appuyez sur la touche dièse. Si vous n'êtes pas à l'origine de cette demande, appuyez sur zéro, puis sur la touche dièse.`,
      noInput: 'Aucune touche reçue. Au revoir.',
    };
  }
  return {
    language: 'en-US',
    codeIntro: (code) => `Your ${productName} code is: ${spokenDigits(code)}.`,
    repeat: (code) => `I repeat: ${spokenDigits(code)}.`,
    pressPound: `This is ${productName}. To approve your sign-in, press the pound key. If you did not try to sign in, press zero, then the pound key.`,
    noInput: 'No key was pressed. Goodbye.',
  };
}
