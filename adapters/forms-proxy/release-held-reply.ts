/**
 * Writes a held login reply to the browser, exactly as the app sent it, plus factorgate's own
 * cookies (its session for the app, and the cleared browser-binding cookie).
 */
import type { ServerResponse } from 'node:http';
import type { HeldReply } from './held-login.js';

export function releaseHeldReply(res: ServerResponse, held: HeldReply, extraSetCookies: readonly string[]): void {
  const flat: string[] = [];
  for (const [k, v] of held.headers) {
    // Framing is re-done for this response: the stored body is complete and decoded of chunks.
    if (k === 'content-length' || k === 'transfer-encoding') continue;
    flat.push(k, v);
  }
  for (const c of extraSetCookies) flat.push('set-cookie', c);
  const body = Buffer.from(held.bodyBase64, 'base64');
  flat.push('content-length', String(body.length));
  // A reply that signs someone in must not be replayed from a cache (RFC 9111 §5.2.2.5).
  if (!held.headers.some(([k]) => k === 'cache-control')) flat.push('cache-control', 'no-store');
  res.writeHead(held.status, flat);
  res.end(body);
}
