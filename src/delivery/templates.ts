/**
 * Mail templates: Handlebars, built in for English and French, each file overridable from
 * `templatesDir`. HTML parts escape every `{{value}}` (user data such as a display name comes
 * from a directory and may hold markup); subjects and text parts are plain text, so they are
 * compiled with `noEscape`: "&" in a name must stay "&", not "&amp;".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type HandlebarsNs from 'handlebars';
import { FactorgateError } from '../kit/errors.js';
import { lazyRequire } from './lazy-require.js';
import { LOCALES, type Locale } from './locale.js';
import { maskPhone } from './phone.js';
import { en } from './templates/en.js';
import { fr } from './templates/fr.js';
import { TEMPLATE_KEYS, type TemplateKey, type TemplateName } from './templates/keys.js';

const handlebars = lazyRequire<typeof HandlebarsNs>('handlebars');

export { TEMPLATE_KEYS, TEMPLATE_NAMES, type TemplateKey, type TemplateName } from './templates/keys.js';

export type EnrolMethod = 'totp' | 'app' | 'token' | 'sms' | 'voice' | 'pin';
export type TemplateEvent = 'enrolled' | 'code' | 'changed';

interface CommonVars {
  displayName: string;
  /** Default factorgate. */
  productName?: string | undefined;
}

/** What each enrolment mail needs, as the seeds describe it. */
export type EnrolledVars = CommonVars &
  (
    | { method: 'totp'; portalUrl: string }
    /** An authenticator app already registered, or a hardware token held: nothing to set up. */
    | { method: 'app' | 'token' }
    /** E.164; the mail shows it masked (`+33 6 •• •• •• 78`). */
    | { method: 'sms' | 'voice'; phone: string }
    | { method: 'pin'; pin: string }
  );

export interface CodeVars extends CommonVars {
  code: string;
  ttlSeconds: number;
  /** The "This wasn't me" link (src/fraud/fraud-link.ts), when the host makes one. */
  fraudUrl?: string;
}

/** What a self-service change was (issue 19); the mail says it in the reader's language. */
export const ACCOUNT_CHANGES = [
  'app-added',
  'security-key-added',
  'contact-added',
  'contact-changed',
  'method-removed',
  'method-renamed',
  'default-changed',
  'backup-codes-issued',
  'app-password-created',
  'app-password-revoked',
  'app-passwords-revoked',
  'pin-changed',
] as const;
export type AccountChange = (typeof ACCOUNT_CHANGES)[number];

export interface ChangedVars extends CommonVars {
  change: AccountChange;
  /** When, already formatted for the reader (UTC). */
  when: string;
  clientIp: string;
  portalUrl: string;
}

const CHANGE_SENTENCES: Record<Locale, Record<AccountChange, string>> = {
  en: {
    'app-added': 'An authenticator app was added to your account.',
    'security-key-added': 'A security key or passkey was added to your account.',
    'contact-added': 'A phone number or email address for sign-in codes was added to your account.',
    'contact-changed': 'A phone number or email address for sign-in codes was changed on your account.',
    'method-removed': 'A sign-in method was removed from your account.',
    'method-renamed': 'A sign-in method on your account was renamed.',
    'default-changed': 'The default sign-in method of your account was changed.',
    'backup-codes-issued': 'New backup codes were made for your account; the old ones no longer work.',
    'app-password-created': 'An app password was created for your account.',
    'app-password-revoked': 'An app password of your account was revoked.',
    'app-passwords-revoked': 'All app passwords of your account were revoked.',
    'pin-changed': 'The PIN of your account was changed.',
  },
  fr: {
    'app-added': 'Une application d’authentification a été ajoutée à votre compte.',
    'security-key-added': 'Une clé de sécurité ou clé d’accès a été ajoutée à votre compte.',
    'contact-added': 'Un numéro de téléphone ou une adresse e-mail pour les codes de connexion a été ajouté à votre compte.',
    'contact-changed': 'Un numéro de téléphone ou une adresse e-mail pour les codes de connexion a été modifié sur votre compte.',
    'method-removed': 'Une méthode de connexion a été supprimée de votre compte.',
    'method-renamed': 'Une méthode de connexion de votre compte a été renommée.',
    'default-changed': 'La méthode de connexion par défaut de votre compte a été changée.',
    'backup-codes-issued': 'De nouveaux codes de secours ont été créés pour votre compte ; les anciens ne fonctionnent plus.',
    'app-password-created': 'Un mot de passe d’application a été créé pour votre compte.',
    'app-password-revoked': 'Un mot de passe d’application de votre compte a été révoqué.',
    'app-passwords-revoked': 'Tous les mots de passe d’application de votre compte ont été révoqués.',
    'pin-changed': 'Le code PIN de votre compte a été changé.',
  },
};

export interface TemplateVarsByEvent {
  enrolled: EnrolledVars;
  code: CodeVars;
  changed: ChangedVars;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface Templates {
  render<E extends TemplateEvent>(event: E, locale: Locale, vars: TemplateVarsByEvent[E]): RenderedMail;
}

type Compiled = (context: unknown) => string;

export interface TemplatesOptions {
  /** `<dir>/<locale>/<key>.hbs` replaces the built-in file of that key. */
  templatesDir?: string | undefined;
}

/**
 * Loads and compiles every template once. An override folder with a file we do not know
 * (a typo such as `enroled-sms.text.hbs`) or a template that does not parse is a configuration
 * error listing every problem, not a silent fallback to the built-in text.
 */
export function loadTemplates(opts: TemplatesOptions = {}): Templates {
  const sources: Record<Locale, Record<TemplateKey, string>> = { en: { ...en }, fr: { ...fr } };
  const problems: string[] = [];
  if (opts.templatesDir) readOverrides(opts.templatesDir, sources, problems);

  const Handlebars = handlebars();
  const compiled = {} as Record<Locale, Record<TemplateKey, Compiled>>;
  for (const locale of LOCALES) {
    compiled[locale] = {} as Record<TemplateKey, Compiled>;
    for (const key of TEMPLATE_KEYS) {
      const source = sources[locale][key];
      try {
        // Parse now: Handlebars compiles lazily, and a broken override must fail at start-up.
        Handlebars.parse(source);
      } catch (err) {
        problems.push(`${locale}/${key}.hbs: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      compiled[locale][key] = Handlebars.compile(source, { noEscape: !key.endsWith('.html'), strict: false });
    }
  }
  if (problems.length > 0) {
    throw new FactorgateError('CONFIG_INVALID', { detail: `templates: ${problems.join('; ')}` });
  }

  return {
    render(event, locale, vars) {
      const { name, context } = prepare(event, locale, vars as EnrolledVars | CodeVars | ChangedVars);
      const set = compiled[locale];
      const run = (key: TemplateKey, ctx: unknown) => set[key](ctx);
      // A subject is one header line: a line break from data or an override would start a
      // new header (RFC 5322 §2.2 header injection), so runs of whitespace fold to one space.
      const subject = run(`${name}.subject`, context).replace(/\s+/g, ' ').trim();
      const body = run(`${name}.html`, context);
      const html = run('layout.html', { ...context, subject, body });
      const text = run(`${name}.text`, context);
      return { subject, text, html };
    },
  };
}

function prepare(event: TemplateEvent, locale: Locale, vars: EnrolledVars | CodeVars | ChangedVars): { name: TemplateName; context: Record<string, unknown> } {
  const context: Record<string, unknown> = { ...vars, productName: vars.productName ?? 'factorgate' };
  if (event === 'changed') {
    context.what = CHANGE_SENTENCES[locale][(vars as ChangedVars).change];
    return { name: 'account-changed', context };
  }
  if (event === 'code') {
    const v = vars as CodeVars;
    context.minutes = Math.max(1, Math.round(v.ttlSeconds / 60));
    return { name: 'code', context };
  }
  const v = vars as EnrolledVars;
  if (v.method === 'sms' || v.method === 'voice') context.phone = maskPhone(v.phone);
  return { name: `enrolled-${v.method}`, context };
}

function readOverrides(dir: string, sources: Record<Locale, Record<TemplateKey, string>>, problems: string[]): void {
  try {
    if (!statSync(dir).isDirectory()) {
      problems.push(`${dir} is not a folder`);
      return;
    }
  } catch (err) {
    problems.push(`cannot read ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return;
  }
  const known = new Set<string>(TEMPLATE_KEYS.map((k) => `${k}.hbs`));
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !(LOCALES as readonly string[]).includes(entry.name)) {
      if (!entry.name.startsWith('.')) problems.push(`${entry.name}: expected only the folders ${LOCALES.join(', ')}`);
      continue;
    }
    const locale = entry.name as Locale;
    for (const file of readdirSync(join(dir, locale))) {
      if (file.startsWith('.')) continue;
      if (!known.has(file)) {
        problems.push(`${locale}/${file}: unknown template; expected one of ${[...known].join(', ')}`);
        continue;
      }
      try {
        sources[locale][file.slice(0, -'.hbs'.length) as TemplateKey] = readFileSync(join(dir, locale, file), 'utf8');
      } catch (err) {
        problems.push(`${locale}/${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
}
