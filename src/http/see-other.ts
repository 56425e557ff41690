/**
 * `303 See Other` to a path of ours, bodiless, written directly: status, `Location`,
 * `Content-Length: 0`. Express's `res.redirect` first negotiates a body for the answer (parses
 * Accept, adds `Vary: Accept`, builds an HTML or text line naming the target) that a browser
 * following a 303 never shows; that cost ≈ 45 µs of CPU per redirect (bench/README, "Third
 * round"). The security headers the pipeline set before the route stay on the response.
 *
 * Only a same-origin absolute path is accepted: one leading "/" not followed by "/" or "\"
 * (browsers read "//host" and "/\host" as another origin) and no control characters (no header
 * splitting). Anything else is our bug, refused with a typed error before a byte is written.
 */
import type { ServerResponse } from 'node:http';
import { FactorgateError } from '../kit/errors.js';

/** One leading "/" not followed by "/" or "\\", and no C0 control character nor DEL anywhere. */
function isLocalPath(path: string): boolean {
  if (path[0] !== '/' || path[1] === '/' || path[1] === '\\') return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

export function seeOther(res: ServerResponse, path: string): void {
  if (!isLocalPath(path)) {
    throw new FactorgateError('INTERNAL', { detail: `303 refused: not a same-origin path: ${JSON.stringify(path.slice(0, 200))}` });
  }
  res.statusCode = 303;
  res.setHeader('Location', path);
  res.setHeader('Content-Length', '0');
  res.end();
}
