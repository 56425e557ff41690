/** The names of the mail templates; an override file is `<templatesDir>/<locale>/<key>.hbs`. */
export const TEMPLATE_NAMES = ['enrolled-totp', 'enrolled-app', 'enrolled-token', 'enrolled-sms', 'enrolled-voice', 'enrolled-pin', 'code', 'account-changed'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export type TemplatePart = 'subject' | 'text' | 'html';

export type TemplateKey = `${TemplateName}.${TemplatePart}` | 'layout.html';

export const TEMPLATE_KEYS: readonly TemplateKey[] = [
  'layout.html',
  ...TEMPLATE_NAMES.flatMap((n) => (['subject', 'text', 'html'] as const).map((p) => `${n}.${p}` as const)),
];

export type BuiltinTemplates = Readonly<Record<TemplateKey, string>>;
