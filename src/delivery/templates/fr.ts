/** Built-in French mail templates; see en.ts for the rules. */
import type { BuiltinTemplates } from './keys.js';

export const fr: BuiltinTemplates = {
  'layout.html': `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2733">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
{{{body}}}
<p style="margin-top:32px;font-size:12px;color:#5c6670">Ce message a été envoyé automatiquement par {{productName}}. Merci de ne pas y répondre.</p>
</div>
</body>
</html>`,

  'enrolled-totp.subject': 'Configurez votre application d’authentification {{productName}}',
  'enrolled-totp.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Enregistrez une application
d’authentification (Google Authenticator, Microsoft Authenticator, FreeOTP, …) avant votre
prochaine connexion :

{{portalUrl}}

Si vous n’attendiez pas ce message, contactez votre support informatique.
`,
  'enrolled-totp.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Enregistrez une application
d’authentification (Google Authenticator, Microsoft Authenticator, FreeOTP, …) avant votre
prochaine connexion :</p>
<p><a href="{{portalUrl}}" style="display:inline-block;padding:10px 16px;background:#1f5fbf;color:#ffffff;border-radius:4px;text-decoration:none">Enregistrer mon application</a></p>
<p style="font-size:13px">Ou ouvrez cette adresse : {{portalUrl}}</p>
<p>Si vous n’attendiez pas ce message, contactez votre support informatique.</p>`,

  'enrolled-app.subject': 'Connexion {{productName}} : le code de votre application d’authentification',
  'enrolled-app.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Votre application
d’authentification est déjà enregistrée : après votre mot de passe, saisissez le code
qu’elle affiche pour {{productName}}.

Si vous n’avez plus cette application, contactez votre support informatique.
`,
  'enrolled-app.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Votre application
d’authentification est déjà enregistrée : après votre mot de passe, saisissez le code
qu’elle affiche pour {{productName}}.</p>
<p>Si vous n’avez plus cette application, contactez votre support informatique.</p>`,

  'enrolled-token.subject': 'Connexion {{productName}} : le code de votre jeton matériel',
  'enrolled-token.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe,
appuyez sur le bouton du jeton matériel qui vous a été remis et saisissez le code affiché.
Il n’y a rien à installer.

Si vous n’avez pas votre jeton, contactez votre support informatique.
`,
  'enrolled-token.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe,
appuyez sur le bouton du jeton matériel qui vous a été remis et saisissez le code affiché.
Il n’y a rien à installer.</p>
<p>Si vous n’avez pas votre jeton, contactez votre support informatique.</p>`,

  'enrolled-sms.subject': 'Vos codes de connexion {{productName}} arriveront par SMS',
  'enrolled-sms.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe, un
code à usage unique sera envoyé par SMS au {{phone}}. Saisissez-le sur la page de connexion.

Si ce numéro n’est pas le vôtre, contactez votre support informatique.
`,
  'enrolled-sms.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe, un
code à usage unique sera envoyé par SMS au <strong>{{phone}}</strong>. Saisissez-le sur la page de connexion.</p>
<p>Si ce numéro n’est pas le vôtre, contactez votre support informatique.</p>`,

  'enrolled-voice.subject': '{{productName}} vous appellera à la connexion',
  'enrolled-voice.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe, le
{{phone}} sonnera : décrochez et suivez les instructions.

Si ce numéro n’est pas le vôtre, contactez votre support informatique.
`,
  'enrolled-voice.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Après votre mot de passe, le
<strong>{{phone}}</strong> sonnera : décrochez et suivez les instructions.</p>
<p>Si ce numéro n’est pas le vôtre, contactez votre support informatique.</p>`,

  'enrolled-pin.subject': 'Votre code PIN {{productName}}',
  'enrolled-pin.text': `Bonjour {{displayName}},

Votre compte demande désormais une seconde étape à la connexion. Votre code PIN initial est :

    {{pin}}

Vous le saisirez avec le code que vous recevrez. Gardez-le secret ; vous pourrez le changer
après votre première connexion.
`,
  'enrolled-pin.html': `<p>Bonjour {{displayName}},</p>
<p>Votre compte demande désormais une seconde étape à la connexion. Votre code PIN initial est :</p>
<p style="font-size:24px;font-family:monospace;letter-spacing:4px"><strong>{{pin}}</strong></p>
<p>Vous le saisirez avec le code que vous recevrez. Gardez-le secret ; vous pourrez le changer
après votre première connexion.</p>`,

  'code.subject': 'Votre code de connexion {{productName}}',
  'code.text': `Bonjour {{displayName}},

Votre code de connexion est {{code}}. Il expire dans {{minutes}} minutes.

Si vous n’avez pas tenté de vous connecter, quelqu’un connaît peut-être votre mot de passe :
changez-le et contactez votre support informatique.
{{#if fraudUrl}}
Ce n’était pas moi : {{fraudUrl}}
{{/if}}`,
  'code.html': `<p>Bonjour {{displayName}},</p>
<p>Votre code de connexion est :</p>
<p style="font-size:28px;font-family:monospace;letter-spacing:6px"><strong>{{code}}</strong></p>
<p>Il expire dans {{minutes}} minutes.</p>
<p>Si vous n’avez pas tenté de vous connecter, quelqu’un connaît peut-être votre mot de passe :
changez-le et contactez votre support informatique.</p>{{#if fraudUrl}}
<p><a href="{{fraudUrl}}" id="fraud-link">Ce n’était pas moi</a></p>{{/if}}`,

  'account-changed.subject': 'Vos méthodes de connexion {{productName}} ont changé',
  'account-changed.text': `Bonjour {{displayName}},

{{what}}
Quand : {{when}}
Depuis : {{clientIp}}

Si c’était vous, il n’y a rien à faire. Si ce n’était pas vous, quelqu’un est peut-être connecté
à votre place : changez votre mot de passe, vérifiez vos méthodes de connexion sur {{portalUrl}}
et contactez votre support informatique.
`,
  'account-changed.html': `<p>Bonjour {{displayName}},</p>
<p><strong>{{what}}</strong></p>
<p>Quand : {{when}}<br>Depuis : {{clientIp}}</p>
<p>Si c’était vous, il n’y a rien à faire. Si ce n’était pas vous, quelqu’un est peut-être connecté
à votre place : changez votre mot de passe, <a href="{{portalUrl}}">vérifiez vos méthodes de connexion</a>
et contactez votre support informatique.</p>`,
};
