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
export type TemplateEvent = 'enrolled' | 'code';

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
}

export interface TemplateVarsByEvent {
  enrolled: EnrolledVars;
  code: CodeVars;
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
      const { name, context } = prepare(event, vars as EnrolledVars | CodeVars);
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

function prepare(event: TemplateEvent, vars: EnrolledVars | CodeVars): { name: TemplateName; context: Record<string, unknown> } {
  const context: Record<string, unknown> = { ...vars, productName: vars.productName ?? 'factorgate' };
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
