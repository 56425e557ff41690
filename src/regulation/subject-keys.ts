/**
 * What regulation counts against: the account a try names and the client it comes from. Both
 * are normalised so that trivial respellings do not buy an attacker a fresh budget.
 */
import { isIP } from 'node:net';
import { foldUsername } from '../directory/directory.js';

/**
 * `a:` + the sign-in name case-folded (NFKC, as the directories compare it), without a
 * `DOMAIN\` prefix or an `@realm` suffix: on Active Directory `CORP\jdoe`, `jdoe@corp.example`
 * and `JDoe` are one account, and its own lockout counts them together too. Null when empty.
 */
export function accountKey(username: string | null | undefined): string | null {
  if (!username) return null;
  let name = foldUsername(username.trim());
  const slash = name.lastIndexOf('\\');
  if (slash !== -1) name = name.slice(slash + 1);
  const at = name.indexOf('@');
  if (at > 0) name = name.slice(0, at);
  name = name.trim();
  return name === '' ? null : `a:${name.slice(0, 256)}`;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

/**
 * `c:` + the client address: IPv4 as is, an IPv4-mapped IPv6 address as its IPv4, any other
 * IPv6 address by its /64 (one subscriber usually holds a whole /64, RFC 6177). Null when the
 * address is unknown.
 */
export function clientKey(address: string | null | undefined): string | null {
  if (!address) return null;
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return `c:${address}`;
  if (family !== 6) return null;
  const g = ipv6Groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `c:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `c:${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
