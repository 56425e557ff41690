/**
 * The page that posts `wa`, `wresult` and `wctx` to the realm's reply URL (WS-Federation 1.2
 * §13.2.3: the response goes back by an HTML form POST). The host's CSP forbids inline script,
 * so the page loads a tiny same-origin script that submits it and keeps a visible button for
 * browsers without script. This response gets its own CSP: scripts only from us, and
 * `form-action` only to the reply URL's origin. Every value is HTML-escaped, so a wctx holding
 * quotes or markup is echoed exactly as sent, never interpreted.
 */
import type { Response } from 'express';

export const AUTOSUBMIT_PATH = '/autosubmit.js';
export const AUTOSUBMIT_JS = "document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('wsfed-post');if(f)f.submit();});\n";

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function sendPostForm(res: Response, input: { action: string; fields: Record<string, string | undefined>; mountPath: string }): void {
  const inputs = Object.entries(input.fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const origin = new URL(input.action).origin;
  const body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing you in…</title>' +
    `<script src="${input.mountPath}${AUTOSUBMIT_PATH}" defer></script></head><body>` +
    `<form id="wsfed-post" method="post" action="${escapeHtml(input.action)}">${inputs}` +
    '<noscript><p>Signing you in…</p></noscript><button type="submit">Continue</button></form></body></html>';
  res.statusCode = 200;
  res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'self'; form-action ${origin}; base-uri 'none'; frame-ancestors 'none'`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
