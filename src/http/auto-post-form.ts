/**
 * The page that posts a protocol message to a peer by an HTML form: the SAML HTTP-POST binding
 * (SAML Bindings §3.5.4) and the WS-Federation response (WS-Federation 1.2 §13.2.3). The host's
 * CSP forbids inline script, so the page loads a tiny same-origin script (`autoSubmitScript`,
 * served by the adapter at `scriptUrl`) that submits it, and keeps a visible button for browsers
 * without script. This one response gets its own CSP: scripts and styles only from us, and
 * `form-action` only to the destination's origin, so even an injected form could post nowhere
 * else. Every name and value is HTML-escaped: a RelayState or wctx holding quotes or markup is
 * echoed exactly as sent, never interpreted. Offered to adapters through `factorgate/adapter`.
 */
import type { Response } from 'express';
import { escapeHtml } from '../kit/pages/html.js';

export interface AutoPostForm {
  /** The form's id, which the script submits. */
  formId: string;
  /** Where the form posts (its origin goes into `form-action`). */
  action: string;
  /** Hidden fields; an undefined value is left out. */
  fields: Record<string, string | undefined>;
  /** The URL of the adapter's copy of `autoSubmitScript(formId)`. */
  scriptUrl: string;
  /** Page title, also shown to browsers without script. */
  title: string;
  /** The button's text. */
  button: string;
}

/** The script that submits the form with this id once the page is parsed. */
export function autoSubmitScript(formId: string): string {
  return `document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById(${JSON.stringify(formId)});if(f)f.submit();});\n`;
}

/** Destinations whose page CSP is kept (a relying party or realm has a few ACS or reply URLs, all allowlisted before they get here). */
const MAX_CACHED_DESTINATIONS = 256;
const cspByAction = new Map<string, string>();

/** The page's CSP for a destination: `form-action` only to its origin. Built once per destination (parsing the URL cost more than the rest of the header). */
function cspFor(action: string): string {
  let csp = cspByAction.get(action);
  if (csp === undefined) {
    const origin = new URL(action).origin;
    csp = `default-src 'none'; script-src 'self'; style-src 'self'; form-action ${origin}; base-uri 'none'; frame-ancestors 'none'`;
    if (cspByAction.size >= MAX_CACHED_DESTINATIONS) cspByAction.clear();
    cspByAction.set(action, csp);
  }
  return csp;
}

export function sendAutoPostForm(res: Response, input: AutoPostForm): void {
  const csp = cspFor(input.action);
  let inputs = '';
  for (const [name, value] of Object.entries(input.fields)) {
    if (value !== undefined) inputs += `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
  }
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>` +
    `<script src="${escapeHtml(input.scriptUrl)}" defer></script></head><body>` +
    `<form id="${escapeHtml(input.formId)}" method="post" action="${escapeHtml(input.action)}">${inputs}` +
    `<noscript><p>${escapeHtml(input.title)}</p></noscript><button type="submit">${escapeHtml(input.button)}</button></form></body></html>`;
  // Written with `end` rather than Express's `send`: a no-store page that differs every time gains
  // nothing from the ETag `send` would hash over it on every response. (Node drops the body of HEAD.)
  res.statusCode = 200;
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
