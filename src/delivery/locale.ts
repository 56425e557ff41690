/** Languages the built-in messages and mail templates exist in. */
export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * The supported language for a BCP 47 tag (RFC 5646): `fr-CA` → `fr`; anything we do not
 * have → `fallback`.
 */
export function resolveLocale(tag: string | null | undefined, fallback: Locale = 'en'): Locale {
  const primary = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(primary ?? '') ? (primary as Locale) : fallback;
}
