/** The pages' words in English and French, chosen by `?lang=`, then Accept-Language. */
import type { Request } from 'express';

export type Locale = 'en' | 'fr';
export const LOCALES: readonly Locale[] = ['en', 'fr'];

const en = {
  'page.title.error': 'Something went wrong',
  'page.back': 'Start again',
  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'The username or password is incorrect.',
  'login.signedInTitle': 'You are signed in',
  'login.rateLimited': 'Too many sign-in attempts. Wait a few minutes, then try again.',
  'login.signedIn': 'You are signed in as {name}.',
  'login.portalLink': 'Your account: sign-in methods and settings',
  'login.signOut': 'Sign out',
  'login.signedOut': 'You are signed out.',
  'error.BAD_REQUEST': 'The request could not be understood.',
  'error.CSRF_FAILED': 'This form has expired. Go back, reload the page and try again.',
  'error.NOT_FOUND': 'This page does not exist.',
  'error.PAYLOAD_TOO_LARGE': 'The request is too large.',
  'error.UNAUTHORIZED': 'You need to sign in first.',
  'error.FORBIDDEN': 'You are not allowed to do this.',
  'error.LOGIN_FAILED': 'The username or password is incorrect.',
  'error.USER_DISABLED': 'The username or password is incorrect.',
  'error.USER_LOCKED': 'Sign-in could not be completed. Try again later or contact your help desk.',
  'error.RATE_LIMITED': 'Too many sign-in attempts. Wait a few minutes, then try again.',
  'error.BUSY': 'The service is temporarily unavailable. Try again in a moment.',
  'error.CHALLENGE_NOT_FOUND': 'This sign-in has expired or does not exist. Start again from the application.',
  'error.CHALLENGE_EXPIRED': 'This sign-in has expired. Start again from the application.',
  'error.CHALLENGE_USED': 'This sign-in has already been completed. Start again from the application.',
  'error.CHALLENGE_WRONG_BROWSER': 'This sign-in was started in another browser. Start again from the application.',
  'error.FACTOR_FAILED': 'Sign-in could not be completed.',
  'error.NO_FACTOR': 'Your account has no verification method and cannot sign in. Contact your help desk.',
  'error.DIRECTORY_UNAVAILABLE': 'The user directory cannot be reached right now. Try again in a few minutes.',
  'error.STORE_UNAVAILABLE': 'The service is temporarily unavailable. Try again in a few minutes.',
  'error.UPSTREAM_UNAVAILABLE': 'The application behind this sign-in is not answering. Try again in a few minutes.',
  'error.SAML_REQUEST_INVALID': 'The sign-in request from the application was refused.',
  'error.SAML_RESPONSE_INVALID': 'The sign-in response was refused.',
  'error.UNKNOWN_RELYING_PARTY': 'The application that sent you here is not known to this server.',
  'error.DELIVERY_FAILED': 'The code could not be sent.',
  'error.INTERNAL': 'An unexpected error occurred. Try again later.',
  'error.DENIED': 'Sign-in could not be completed.',
} as const;

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  'page.title.error': 'Un problème est survenu',
  'page.back': 'Recommencer',
  'login.title': 'Connexion',
  'login.username': 'Nom d’utilisateur',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.failed': 'Le nom d’utilisateur ou le mot de passe est incorrect.',
  'login.signedInTitle': 'Vous êtes connecté',
  'login.rateLimited': 'Trop de tentatives de connexion. Patientez quelques minutes, puis réessayez.',
  'login.signedIn': 'Vous êtes connecté en tant que {name}.',
  'login.portalLink': 'Votre compte : méthodes de connexion et réglages',
  'login.signOut': 'Se déconnecter',
  'login.signedOut': 'Vous êtes déconnecté.',
  'error.BAD_REQUEST': 'La requête n’a pas pu être comprise.',
  'error.CSRF_FAILED': 'Ce formulaire a expiré. Revenez en arrière, rechargez la page et réessayez.',
  'error.NOT_FOUND': 'Cette page n’existe pas.',
  'error.PAYLOAD_TOO_LARGE': 'La requête est trop volumineuse.',
  'error.UNAUTHORIZED': 'Vous devez d’abord vous connecter.',
  'error.FORBIDDEN': 'Vous n’êtes pas autorisé à faire cela.',
  'error.LOGIN_FAILED': 'Le nom d’utilisateur ou le mot de passe est incorrect.',
  'error.USER_DISABLED': 'Le nom d’utilisateur ou le mot de passe est incorrect.',
  'error.USER_LOCKED': 'La connexion n’a pas pu aboutir. Réessayez plus tard ou contactez le support.',
  'error.RATE_LIMITED': 'Trop de tentatives de connexion. Patientez quelques minutes, puis réessayez.',
  'error.BUSY': 'Le service est momentanément indisponible. Réessayez dans un instant.',
  'error.CHALLENGE_NOT_FOUND': 'Cette connexion a expiré ou n’existe pas. Recommencez depuis l’application.',
  'error.CHALLENGE_EXPIRED': 'Cette connexion a expiré. Recommencez depuis l’application.',
  'error.CHALLENGE_USED': 'Cette connexion est déjà terminée. Recommencez depuis l’application.',
  'error.CHALLENGE_WRONG_BROWSER': 'Cette connexion a été commencée dans un autre navigateur. Recommencez depuis l’application.',
  'error.FACTOR_FAILED': 'La connexion n’a pas pu aboutir.',
  'error.NO_FACTOR': 'Votre compte n’a aucune méthode de vérification et ne peut pas se connecter. Contactez le support.',
  'error.DIRECTORY_UNAVAILABLE': 'L’annuaire des utilisateurs est injoignable pour le moment. Réessayez dans quelques minutes.',
  'error.STORE_UNAVAILABLE': 'Le service est temporairement indisponible. Réessayez dans quelques minutes.',
  'error.UPSTREAM_UNAVAILABLE': 'L’application derrière cette connexion ne répond pas. Réessayez dans quelques minutes.',
  'error.SAML_REQUEST_INVALID': 'La demande de connexion de l’application a été refusée.',
  'error.SAML_RESPONSE_INVALID': 'La réponse de connexion a été refusée.',
  'error.UNKNOWN_RELYING_PARTY': 'L’application qui vous a envoyé ici n’est pas connue de ce serveur.',
  'error.DELIVERY_FAILED': 'Le code n’a pas pu être envoyé.',
  'error.INTERNAL': 'Une erreur inattendue s’est produite. Réessayez plus tard.',
  'error.DENIED': 'La connexion n’a pas pu aboutir.',
};

const catalogs: Record<Locale, Record<string, string>> = { en, fr };

/** Registers more messages (the challenge engine and adapters bring their own words). */
export function addMessages(locale: Locale, messages: Record<string, string>): void {
  Object.assign(catalogs[locale], messages);
}

export function t(locale: Locale, key: string, vars: Record<string, string> = {}): string {
  const text = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

/** `?lang=fr` wins, then the best Accept-Language match (RFC 9110 §12.5.4), then the default. */
export function pickLocale(req: Request, fallback: Locale): Locale {
  const forced = typeof req.query?.lang === 'string' ? req.query.lang : undefined;
  if (forced === 'en' || forced === 'fr') return forced;
  const header = req.headers['accept-language'];
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), i };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const e of ranked) if (e.lang === 'en' || e.lang === 'fr') return e.lang;
  return fallback;
}
