/**
 * The page that posts `wa`, `wresult` and `wctx` to the realm's reply URL (WS-Federation 1.2
 * §13.2.3: the response goes back by an HTML form POST), through the SDK's auto-submitting form
 * (the same page the SAML IdP sends): its own CSP, `form-action` only to the reply URL's origin,
 * every value escaped, so a wctx holding quotes or markup is echoed exactly as sent.
 */
import type { Response } from 'express';
import { autoSubmitScript, sendAutoPostForm } from '../../src/sdk/adapter.js';

export const AUTOSUBMIT_PATH = '/autosubmit.js';
const FORM_ID = 'wsfed-post';
export const AUTOSUBMIT_JS = autoSubmitScript(FORM_ID);

export function sendPostForm(res: Response, input: { action: string; fields: Record<string, string | undefined>; mountPath: string }): void {
  sendAutoPostForm(res, { formId: FORM_ID, action: input.action, fields: input.fields, scriptUrl: `${input.mountPath}${AUTOSUBMIT_PATH}`, title: 'Signing you in…', button: 'Continue' });
}
