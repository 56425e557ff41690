/**
 * The hop from factorgate back to the app with the result. Not a redirect: the challenge form's
 * page carries CSP `form-action 'self'`, and browsers apply form-action to every redirect that
 * follows a form submission (CSP Level 3 §6.3.1.2), so Chromium aborts a 303 to the app's
 * origin. A page that refreshes to the return URL is a new navigation. `no-referrer` keeps the
 * result out of any Referer; the app's `requireMfa` strips it from the address at once.
 */
import type { Response } from 'express';
import { escapeHtml } from '../../src/sdk/adapter.js';

export function sendContinuePage(res: Response, url: string, client: string): void {
  const u = escapeHtml(url);
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${u}"><title>Returning to ${escapeHtml(client)}…</title></head><body><p><a id="continue" href="${u}">Continue to ${escapeHtml(client)}</a></p></body></html>`;
  res.status(200);
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('referrer-policy', 'no-referrer');
  res.send(body);
}
