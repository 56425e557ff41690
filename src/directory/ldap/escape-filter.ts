/**
 * Escaping of untrusted values placed in LDAP search filters.
 *
 * RFC 4515 §3: inside an assertion value the characters `*` `(` `)` `\` and NUL must be written
 * as a backslash and two hex digits. Anything else (including non-ASCII, sent as UTF-8) may
 * appear as is. Escaping every one of the five closes filter injection: `admin)(uid=*` becomes
 * a literal value that matches nobody.
 */
const FILTER_SPECIALS = /[*()\\\0]/g;

export function escapeFilterValue(value: string): string {
  return value.replace(FILTER_SPECIALS, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Escapes raw bytes (a binary objectGUID) as `\xx` for every byte: RFC 4515 §3 allows any octet
 * to be escaped, and binary values must be, since they are not valid UTF-8.
 */
export function escapeFilterBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += `\\${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** `(&a b c)` without the `&` when there is only one part (some servers dislike `(&(x))`). */
export function andFilters(...parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (present.length === 1) return present[0]!;
  return `(&${present.join('')})`;
}

/** Wraps a filter written without its outer parentheses (`objectClass=user`), as admins often do. */
export function parenthesise(filter: string): string {
  const f = filter.trim();
  return f.startsWith('(') ? f : `(${f})`;
}
