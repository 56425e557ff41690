/**
 * factorgate's two cookies on an app's origin: its session for the app, and a short-lived
 * cookie that binds a held login to the browser that submitted it (so a leaked release link
 * is useless elsewhere). `HttpOnly`, `SameSite=Lax` (the release arrives as a top-level
 * redirect from the challenge page), `Secure` on https, `__Host-` when host-only on https
 * (RFC 6265bis §4.1.3.2).
 */
export interface OwnCookieNames {
  session: string;
  bind: string;
}

export interface CookieSettings {
  names: OwnCookieNames;
  secure: boolean;
  domain: string | undefined;
}

export function cookieSettings(app: { name: string; cookie: { name?: string | undefined; domain?: string | undefined } }, secure: boolean): CookieSettings {
  const hostOnly = secure && !app.cookie.domain;
  const session = app.cookie.name ?? `${hostOnly ? '__Host-' : ''}fg_${app.name.replace(/-/g, '_')}`;
  return { names: { session, bind: `${session}_login` }, secure, domain: app.cookie.domain };
}

export function serializeCookie(s: CookieSettings, name: string, value: string, maxAgeSeconds?: number): string {
  let c = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (s.secure) c += '; Secure';
  if (s.domain && !name.startsWith('__Host-')) c += `; Domain=${s.domain}`;
  if (maxAgeSeconds !== undefined) c += `; Max-Age=${maxAgeSeconds}`;
  return c;
}

export function clearCookie(s: CookieSettings, name: string): string {
  return serializeCookie(s, name, '', 0);
}
