/**
 * Times shown to users, server-rendered (no JavaScript): the wall-clock time in the configured
 * zone, in the page's language, with the zone's name and UTC offset spelled out, inside a
 * `<time datetime>` holding the exact instant (HTML §4.5.14) for anything that reads it.
 */
import { html, type SafeHtml } from './html.js';
import type { Locale } from '../i18n.js';

/** The time zone the process runs in (the `TZ` environment variable, else the system's). */
export function serverTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** `UTC+01:00`, `UTC-05:00`, or `UTC` for the instant `ms` in `timeZone`. */
export function utcOffset(ms: number, timeZone: string): string {
  const part = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(ms)
    .find((p) => p.type === 'timeZoneName')?.value;
  // Intl writes the offset as GMT±hh:mm, and "GMT" (or GMT+00:00) for a zero offset.
  return !part || /^GMT([+-]00:00)?$/.test(part) ? 'UTC' : part.replace(/^GMT/, 'UTC');
}

/** "1 March 2026 at 10:15" / "1 mars 2026 à 10:15" in `timeZone`. */
export function wallClock(ms: number, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone, dateStyle: 'long', timeStyle: 'short' }).format(ms);
}

/** `<time datetime="2026-03-01T09:15:00.000Z">1 March 2026 at 10:15 (Europe/Paris, UTC+01:00)</time>` */
export function localTime(ms: number, locale: Locale, timeZone: string): SafeHtml {
  const offset = utcOffset(ms, timeZone);
  const zone = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? offset : `${timeZone}, ${offset}`;
  return html`<time datetime="${new Date(ms).toISOString()}">${wallClock(ms, locale, timeZone)} (${zone})</time>`;
}
