/**
 * Whether a user is in a configured group: the one rule for policy rules (`policies.rules[].groups`),
 * console roles (`admin.roles`) and WebAuthn's `userVerificationRequiredFor`, so a group that
 * grants a role also matches the rule written with the same name.
 *
 * - A group configured by its full DN matches only that DN (a namesake elsewhere in the tree does
 *   not), compared RDN by RDN without the spaces around `,` and `=` and without case
 *   (RFC 4514 §2: `CN=Admins, OU=Groups` is `cn=admins,ou=groups`).
 * - A group configured by a plain name matches a membership given by that name (a users file's
 *   `groups`), or a DN whose first RDN has that value, whatever its type (`CN=`, `ou=`…).
 * Both sides are trimmed and compared case-insensitively.
 */

/** The RDNs of a DN, split on unescaped commas; null when `s` is not a DN (no `type=value` first). */
function rdns(s: string): { type: string; value: string }[] | null {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      current += c + s[i + 1]!;
      i++;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  const out: { type: string; value: string }[] = [];
  for (const part of parts) {
    const m = /^\s*([a-z][a-z0-9-]*|\d+(?:\.\d+)+)\s*=\s*(.*?)\s*$/is.exec(part);
    if (!m) return null;
    out.push({ type: m[1]!.toLowerCase(), value: m[2]!.replace(/\\(.)/g, '$1').toLowerCase() });
  }
  return out;
}

/** A DN in one spelling (`cn=admins,ou=groups`), or null when `s` is a plain name. */
export function normalizeDn(s: string): string | null {
  const parsed = rdns(s.trim());
  return parsed ? parsed.map((r) => `${r.type}=${r.value}`).join(',') : null;
}

/** A membership as compared: its DN in one spelling and first RDN's value, or its plain name. */
type Held = { dn: string; first: string } | { name: string };

function heldOne(m: string): Held {
  const parsed = rdns(m.trim());
  return parsed ? { dn: parsed.map((r) => `${r.type}=${r.value}`).join(','), first: parsed[0]!.value } : { name: m.trim().toLowerCase() };
}

/** A configured group as compared: its DN in one spelling (null for a plain name) and its name. */
type Wanted = { dn: string | null; name: string };

function wanted(configured: string): Wanted {
  return { dn: normalizeDn(configured), name: configured.trim().toLowerCase() };
}

function matches(want: Wanted, h: Held): boolean {
  return want.dn !== null ? 'dn' in h && h.dn === want.dn : 'name' in h ? h.name === want.name : h.first === want.name;
}

/** Whether a membership list (full DNs or plain names) holds the configured group; stops at the first match. */
export function inGroup(configured: string, memberOf: readonly string[]): boolean {
  const want = wanted(configured);
  return memberOf.some((m) => matches(want, heldOne(m)));
}

/** Whether any of the configured groups is held (each membership parsed once). */
export function inAnyGroup(configured: readonly string[], memberOf: readonly string[]): boolean {
  if (configured.length === 0) return false;
  const memberships = memberOf.map(heldOne);
  return configured.some((g) => {
    const want = wanted(g);
    return memberships.some((h) => matches(want, h));
  });
}

/**
 * A directory entry's groups as the directory gives them now (LDAP `memberOf` by default, a
 * users file's `groups`) and any `memberOf` it returned as a plain attribute.
 */
export function directoryGroups(entry: { groups?: readonly string[] | undefined; attributes?: Readonly<Record<string, readonly string[]>> | undefined } | null | undefined): string[] {
  if (!entry) return [];
  const fromAttributes = Object.entries(entry.attributes ?? {}).flatMap(([name, values]) => (name.toLowerCase() === 'memberof' ? [...values] : []));
  return [...(entry.groups ?? []), ...fromAttributes];
}
