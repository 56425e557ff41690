/**
 * The HTTP-POST binding's form (SAML Bindings §3.5.4). The host's CSP forbids inline script, so
 * the page loads a tiny same-origin script that submits it, and keeps a visible button for
 * browsers without script. This one response gets its own CSP: scripts only from us, and
 * `form-action` only to the destination's origin, so even an injected form could post nowhere else.
 */
import type { Response } from 'express';

export const AUTOSUBMIT_PATH = '/static/autosubmit.js';
export const AUTOSUBMIT_JS = "document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('saml-post');if(f)f.submit();});\n";

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function sendPostForm(
  res: Response,
  input: { action: string; fields: Record<string, string | undefined>; mountPath: string; title: string; button: string },
): void {
  const inputs = Object.entries(input.fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const origin = new URL(input.action).origin;
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>` +
    `<script src="${input.mountPath}${AUTOSUBMIT_PATH}" defer></script></head><body>` +
    `<form id="saml-post" method="post" action="${escapeHtml(input.action)}">${inputs}` +
    `<noscript><p>${escapeHtml(input.title)}</p></noscript><button type="submit">${escapeHtml(input.button)}</button></form></body></html>`;
  // Written with `end` rather than Express's `send`: a no-store page that differs every time gains
  // nothing from the ETag `send` would hash over it on every response. (Node drops the body of HEAD.)
  res.statusCode = 200;
  res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'self'; style-src 'self'; form-action ${origin}; base-uri 'none'; frame-ancestors 'none'`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
