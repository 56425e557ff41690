/**
 * The short texts of SMS and calls (mails use the Handlebars templates). Kept in code: they
 * are one line each, must stay within one SMS segment, and are spoken by a text-to-speech
 * engine, so wording is tuned here rather than left to overrides.
 */
import type { Locale } from './locale.js';
import { fitsOneSmsSegment } from './sms-segment.js';

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
  /** Adds "Not you? Reply FRAUD" (only when replies are received: `delivery.sms.fraudReplies`). */
  fraudReply?: boolean | undefined;
}

/** The sentence of a code text, longest first: each later one drops a part to stay in one segment. */
function sentences(locale: Locale, code: string, minutes: number): ((product: string) => string)[] {
  if (locale === 'fr') {
    return [
      (p) => `${code} est votre code ${p}. Il expire dans ${minutes} min. Ne le communiquez à personne.`,
      (p) => `${code} est votre code ${p}. Il expire dans ${minutes} min.`,
      (p) => `${code} est votre code ${p}.`,
    ];
  }
  return [
    (p) => `${code} is your ${p} code. It expires in ${minutes} min. Never share it.`,
    (p) => `${code} is your ${p} code. It expires in ${minutes} min.`,
    (p) => `${code} is your ${p} code.`,
  ];
}

const FRAUD_REPLY_LINE: Record<Locale, string> = { en: 'Not you? Reply FRAUD', fr: 'Pas vous ? Répondez FRAUDE' };

/**
 * Every text we would send, most complete first: the full sentence, then shorter ones, then the
 * product name clipped and dropped; all of that with the fraud line, then without it, then
 * without the origin-bound line (only a public host name of more than about 90 characters gets
 * that far).
 */
function* smsTextCandidates(code: string, opts: SmsTextOptions): Generator<string> {
  const minutes = Math.max(1, Math.round(opts.ttlSeconds / 60));
  const forms = sentences(opts.locale, code, minutes);
  const shortest = forms.at(-1)!;
  const product = Array.from(opts.productName); // clipped by code point, never inside a surrogate pair
  const bodies = function* (): Generator<string> {
    for (const form of forms) yield form(opts.productName);
    for (let n = product.length - 1; n >= 1; n--) yield shortest(product.slice(0, n).join('').trimEnd());
    yield shortest('').replace(/ {2}/, ' ').replace(' .', '.');
  };
  const origin = opts.originHost ? `\n\n@${opts.originHost} #${code}` : '';
  const fraud = opts.fraudReply ? `\n${FRAUD_REPLY_LINE[opts.locale]}` : '';
  const tails = [...new Set([fraud + origin, origin, ''])];
  for (const tail of tails) for (const body of bodies()) yield body + tail;
}

/**
 * The text of a code, always one SMS segment (see `fitsOneSmsSegment`): the code, the product
 * and lifetime as room allows, "Not you? Reply FRAUD" when replies are received, and the
 * origin-bound line last (the WICG format wants it as the last line).
 */
export function smsText(code: string, opts: SmsTextOptions): string {
  let last = code;
  for (const candidate of smsTextCandidates(code, opts)) {
    if (fitsOneSmsSegment(candidate)) return candidate;
    last = candidate;
  }
  return last;
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
