/**
 * The hop from the challenge page back to the app's origin. It cannot be a redirect: the
 * challenge form's page carries CSP `form-action 'self'`, and browsers apply form-action to
 * every redirect that follows a form submission (CSP Level 3 §6.3.1.2), so Chromium aborts a
 * 303 to another origin. A page that refreshes to the release link is a new navigation.
 * `no-referrer` keeps the one-time link out of any Referer.
 */
import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../../src/sdk/adapter.js';

export function sendContinuePage(res: ServerResponse, url: string, appName: string): void {
  const u = escapeHtml(url);
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${u}"><title>Signing in…</title></head><body><p><a id="continue" href="${u}">Continue to ${escapeHtml(appName)}</a></p></body></html>`;
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** The release link in a continue page (for clients that do not follow refreshes). */
export function continueUrlOf(html: string): string | null {
  const m = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(html);
  return m ? m[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))) : null;
}
