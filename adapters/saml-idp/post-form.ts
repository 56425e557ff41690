/**
 * The HTTP-POST binding's form (SAML Bindings §3.5.4), through the SDK's auto-submitting form
 * (the same page the WS-Federation adapter sends): its own CSP, `form-action` only to the
 * destination's origin, every value escaped.
 */
import type { Response } from 'express';
import { autoSubmitScript, sendAutoPostForm } from '../../src/sdk/adapter.js';

export const AUTOSUBMIT_PATH = '/static/autosubmit.js';
const FORM_ID = 'saml-post';
export const AUTOSUBMIT_JS = autoSubmitScript(FORM_ID);

export function sendPostForm(res: Response, input: { action: string; fields: Record<string, string | undefined>; mountPath: string; title: string; button: string }): void {
  sendAutoPostForm(res, { formId: FORM_ID, action: input.action, fields: input.fields, scriptUrl: `${input.mountPath}${AUTOSUBMIT_PATH}`, title: input.title, button: input.button });
}
