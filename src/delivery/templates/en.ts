/**
 * Built-in English mail templates (Handlebars). Kept as TypeScript strings so `tsc` carries
 * them into dist/ (it copies no other files). A file `<templatesDir>/en/<key>.hbs` replaces
 * the entry of the same key. Subjects and text parts are rendered without HTML escaping;
 * HTML parts escape every `{{value}}`; the layout receives the rendered part as `{{{body}}}`.
 */
import type { BuiltinTemplates } from './keys.js';

export const en: BuiltinTemplates = {
  'layout.html': `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2733">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
{{{body}}}
<p style="margin-top:32px;font-size:12px;color:#5c6670">This message was sent automatically by {{productName}}. Do not reply.</p>
</div>
</body>
</html>`,

  'enrolled-totp.subject': 'Set up your {{productName}} authenticator app',
  'enrolled-totp.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. Register an authenticator app
(Google Authenticator, Microsoft Authenticator, FreeOTP, …) before your next sign-in:

{{portalUrl}}

If you did not expect this message, contact your IT support.
`,
  'enrolled-totp.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. Register an authenticator app
(Google Authenticator, Microsoft Authenticator, FreeOTP, …) before your next sign-in:</p>
<p><a href="{{portalUrl}}" style="display:inline-block;padding:10px 16px;background:#1f5fbf;color:#ffffff;border-radius:4px;text-decoration:none">Register my app</a></p>
<p style="font-size:13px">Or open this address: {{portalUrl}}</p>
<p>If you did not expect this message, contact your IT support.</p>`,

  // A user whose authenticator app is already registered is not asked to register one again.
  'enrolled-app.subject': 'Your {{productName}} sign-in: the code from your authenticator app',
  'enrolled-app.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. Your authenticator app is already
registered: after your password, type the code it shows for {{productName}}.

If you no longer have that app, contact your IT support.
`,
  'enrolled-app.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. Your authenticator app is already
registered: after your password, type the code it shows for {{productName}}.</p>
<p>If you no longer have that app, contact your IT support.</p>`,

  // A user who holds a hardware token uses it; nothing to install.
  'enrolled-token.subject': 'Your {{productName}} sign-in: the code from your hardware token',
  'enrolled-token.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. After your password, press the button
on the hardware token you were given and type the code it shows. There is nothing to install.

If you do not have your token, contact your IT support.
`,
  'enrolled-token.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. After your password, press the button
on the hardware token you were given and type the code it shows. There is nothing to install.</p>
<p>If you do not have your token, contact your IT support.</p>`,

  'enrolled-sms.subject': 'Your {{productName}} sign-in codes will come by text message',
  'enrolled-sms.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. After your password, a one-time code
will be sent by text message to {{phone}}. Type it on the sign-in page.

If this number is not yours, contact your IT support.
`,
  'enrolled-sms.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. After your password, a one-time code
will be sent by text message to <strong>{{phone}}</strong>. Type it on the sign-in page.</p>
<p>If this number is not yours, contact your IT support.</p>`,

  'enrolled-voice.subject': '{{productName}} will call you at sign-in',
  'enrolled-voice.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. After your password, {{phone}} will
ring: answer and follow the instructions.

If this number is not yours, contact your IT support.
`,
  'enrolled-voice.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. After your password,
<strong>{{phone}}</strong> will ring: answer and follow the instructions.</p>
<p>If this number is not yours, contact your IT support.</p>`,

  'enrolled-pin.subject': 'Your {{productName}} PIN',
  'enrolled-pin.text': `Hello {{displayName}},

Your account now requires a second step at sign-in. Your initial PIN is:

    {{pin}}

You will enter it together with the code you receive. Keep it secret; you can change it
after your first sign-in.
`,
  'enrolled-pin.html': `<p>Hello {{displayName}},</p>
<p>Your account now requires a second step at sign-in. Your initial PIN is:</p>
<p style="font-size:24px;font-family:monospace;letter-spacing:4px"><strong>{{pin}}</strong></p>
<p>You will enter it together with the code you receive. Keep it secret; you can change it
after your first sign-in.</p>`,

  // No code in the subject: mail servers' message-tracking logs record subjects.
  'code.subject': 'Your {{productName}} sign-in code',
  'code.text': `Hello {{displayName}},

Your sign-in code is {{code}}. It expires in {{minutes}} minutes.

If you did not try to sign in, someone may know your password: change it and contact your
IT support.
{{#if fraudUrl}}
This wasn't me: {{fraudUrl}}
{{/if}}`,
  'code.html': `<p>Hello {{displayName}},</p>
<p>Your sign-in code is:</p>
<p style="font-size:28px;font-family:monospace;letter-spacing:6px"><strong>{{code}}</strong></p>
<p>It expires in {{minutes}} minutes.</p>
<p>If you did not try to sign in, someone may know your password: change it and contact your
IT support.</p>{{#if fraudUrl}}
<p><a href="{{fraudUrl}}" id="fraud-link">This wasn't me</a></p>{{/if}}`,

  // Issue 19: every self-service change is mailed, so a change the user did not make is noticed.
  'account-changed.subject': 'Your {{productName}} sign-in methods changed',
  'account-changed.text': `Hello {{displayName}},

{{what}}
When: {{when}}
From: {{clientIp}}

If this was you, there is nothing to do. If this wasn't you, someone may be signed in as you:
change your password, review your sign-in methods at {{portalUrl}} and contact your IT support.
`,
  'account-changed.html': `<p>Hello {{displayName}},</p>
<p><strong>{{what}}</strong></p>
<p>When: {{when}}<br>From: {{clientIp}}</p>
<p>If this was you, there is nothing to do. If this wasn't you, someone may be signed in as you:
change your password, <a href="{{portalUrl}}">review your sign-in methods</a> and contact your IT support.</p>`,
};
