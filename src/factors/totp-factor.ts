/**
 * Authenticator-app codes (TOTP, RFC 6238) behind the `Factor` interface. The arithmetic is
 * the OTP core's (`src/otp/`); this file adds what a stored factor needs: seeds drawn from a
 * CSPRNG and sealed at rest, per-factor parameters frozen at enrolment (changing the host's
 * defaults later must not break phones already registered), the otpauth URI and its QR code.
 */
import { randomBytes } from 'node:crypto';
import { encodeBase32, verifyTotp, type OtpAlgorithm } from '../otp/index.js';
import type { FactorRow } from '../store/schema.js';
import type { SecretBox } from '../store/secret-box.js';
import type { HostConfig } from '../config/schema.js';
import type { UserRecord } from '../api/host-api.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { html, raw } from '../kit/pages/html.js';
import type { Factor, FactorVerifyResult } from './factor.js';

/**
 * RFC 4226 §4 R6 asks for at least 128 bits and recommends 160; 160 bits is also the HMAC-SHA-1
 * block-friendly length every authenticator app accepts.
 */
export const TOTP_SECRET_BYTES = 20;

export type TotpConfig = HostConfig['factors']['totp'];

/** The non-secret parameters stored in `factors.params` at enrolment. */
export interface TotpParams {
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
}

export function totpSecretContext(factorId: string): string {
  return `factor:${factorId}:secret`;
}

addMessages('en', {
  'totp.label': 'Authenticator app',
  'totp.prompt': 'Enter the {digits}-digit code shown in your authenticator app.',
  'totp.enrol.intro': 'Your account needs a second step. Register this site in an authenticator app (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator).',
  'totp.enrol.scan': 'Scan this QR code with the app.',
  'totp.enrol.qrAlt': 'QR code to add {issuer} to an authenticator app',
  'totp.enrol.link': 'Reading this on the phone with the app? Open this link instead:',
  'totp.enrol.linkText': 'add {issuer} to my authenticator app',
  'totp.enrol.manual': 'Or type this key into the app by hand:',
  'totp.enrol.details': 'Account: {account}. Type: time-based. Algorithm: {algorithm}, {digits} digits, every {period} seconds.',
  'totp.enrol.confirm': 'Then enter the code the app shows to finish.',
});
addMessages('fr', {
  'totp.label': 'Application d’authentification',
  'totp.prompt': 'Saisissez le code à {digits} chiffres affiché par votre application d’authentification.',
  'totp.enrol.intro': 'Votre compte demande une seconde étape. Enregistrez ce site dans une application d’authentification (par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator).',
  'totp.enrol.scan': 'Scannez ce code QR avec l’application.',
  'totp.enrol.qrAlt': 'Code QR pour ajouter {issuer} à une application d’authentification',
  'totp.enrol.link': 'Vous lisez ceci sur le téléphone qui porte l’application ? Ouvrez plutôt ce lien :',
  'totp.enrol.linkText': 'ajouter {issuer} à mon application d’authentification',
  'totp.enrol.manual': 'Ou saisissez cette clé à la main dans l’application :',
  'totp.enrol.details': 'Compte : {account}. Type : basé sur l’heure. Algorithme : {algorithm}, {digits} chiffres, toutes les {period} secondes.',
  'totp.enrol.confirm': 'Saisissez ensuite le code affiché par l’application pour terminer.',
});

/** The name the app shows for the account: the most recognisable identifier the user has. */
export function accountName(user: UserRecord): string {
  return user.upn ?? user.email ?? user.username;
}

/**
 * Key Uri Format (google/google-authenticator wiki): `otpauth://totp/ISSUER:ACCOUNT?secret=…`.
 * The issuer goes both in the label prefix and in the `issuer` parameter, as the format
 * recommends; algorithm, digits and period are always written because apps that assume the
 * defaults would otherwise show wrong codes for a non-default configuration. The page shows it
 * as a link too: a phone cannot scan its own screen, and the OS hands `otpauth:` to the app.
 */
export function otpauthUri(input: { issuer: string; account: string; secretBase32: string; params: TotpParams }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const q = new URLSearchParams({
    secret: input.secretBase32,
    issuer: input.issuer,
    algorithm: input.params.algorithm,
    digits: String(input.params.digits),
    period: String(input.params.period),
  });
  return `otpauth://totp/${label}?${q.toString().replace(/\+/g, '%20')}`;
}

/** "ABCD EFGH …": easier to read aloud and to type than 32 letters in a row. */
export function groupSecret(base32: string): string {
  return base32.replace(/(.{4})(?=.)/g, '$1 ');
}

function readParams(row: FactorRow, fallback: TotpConfig): TotpParams {
  let p: Partial<TotpParams> = {};
  try {
    p = JSON.parse(row.params) as Partial<TotpParams>;
  } catch {
    /* an unreadable params column falls back to the host defaults */
  }
  return { algorithm: p.algorithm ?? fallback.algorithm, digits: p.digits ?? fallback.digits, period: p.period ?? fallback.period };
}

export interface TotpFactorDeps {
  secrets: SecretBox;
  config: TotpConfig;
  /** Shown in the app beside the account: `factors.totp.issuer`, else the product name. */
  issuer: string;
  /** Injected for tests; defaults to the CSPRNG. */
  randomSecret?: () => Buffer;
}

export function createTotpFactor(deps: TotpFactorDeps): Factor {
  const randomSecret = deps.randomSecret ?? (() => randomBytes(TOTP_SECRET_BYTES));

  const openSecret = (row: FactorRow): Buffer | null => {
    if (!row.secret_enc) return null;
    try {
      return deps.secrets.decrypt(row.secret_enc, totpSecretContext(row.id));
    } catch {
      return null;
    }
  };

  return {
    kind: 'totp',
    label: (locale: Locale) => t(locale, 'totp.label'),
    prompt: (locale: Locale, row: FactorRow) => t(locale, 'totp.prompt', { digits: String(readParams(row, deps.config).digits) }),
    isEnrolled: (row) => row.kind === 'totp' && row.confirmed === 1 && row.secret_enc !== null,

    async verify({ factorRow, code, now }): Promise<FactorVerifyResult> {
      const secret = openSecret(factorRow);
      if (!secret) return { ok: false, reason: 'UNUSABLE' };
      try {
        const params = readParams(factorRow, deps.config);
        const r = verifyTotp({
          secret,
          code,
          nowMs: now,
          ...params,
          // RFC 6238 §5.2: at most one step of delay is recommended; configurable for drifty fleets.
          window: deps.config.window,
          lastUsedStep: factorRow.last_used_step,
        });
        return r.ok ? { ok: true, step: r.step } : { ok: false, reason: r.reason };
      } finally {
        secret.fill(0);
      }
    },

    enrolment: {
      async create({ factorId }) {
        const secret = randomSecret();
        try {
          const params: TotpParams = { algorithm: deps.config.algorithm, digits: deps.config.digits, period: deps.config.period };
          return { label: null, secretEnc: deps.secrets.encrypt(secret, totpSecretContext(factorId)), params: { ...params } };
        } finally {
          secret.fill(0);
        }
      },

      async render({ user, factorRow, locale }) {
        const secret = openSecret(factorRow);
        if (!secret) throw new Error(`factor ${factorRow.id} has no readable secret`);
        const secretBase32 = encodeBase32(secret);
        secret.fill(0);
        const params = readParams(factorRow, deps.config);
        const account = accountName(user);
        const uri = otpauthUri({ issuer: deps.issuer, account, secretBase32, params });
        // The SVG is produced by `qrcode` from our own URI: markup, no script, safe to inline.
        // Loaded at the first enrolment page, not at start (≈ 8 MB of RSS with its PNG encoder).
        const { default: QRCode } = await import('qrcode');
        const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        const alt = t(locale, 'totp.enrol.qrAlt', { issuer: deps.issuer });
        return html`<p>${t(locale, 'totp.enrol.intro')}</p>
<ol class="steps">
<li><p id="qr-label">${t(locale, 'totp.enrol.scan')}</p>
<div class="qr" role="img" aria-label="${alt}">${raw(svg.replace('<svg ', '<svg aria-hidden="true" focusable="false" '))}</div>
<p>${t(locale, 'totp.enrol.link')} <a href="${uri}" id="totp-link" translate="no">${t(locale, 'totp.enrol.linkText', { issuer: deps.issuer })}</a></p></li>
<li><p>${t(locale, 'totp.enrol.manual')}</p>
<p><code class="secret" id="totp-secret" translate="no">${groupSecret(secretBase32)}</code></p>
<p class="muted"><small>${t(locale, 'totp.enrol.details', { account, algorithm: params.algorithm, digits: String(params.digits), period: String(params.period) })}</small></p></li>
<li><p>${t(locale, 'totp.enrol.confirm')}</p></li>
</ol>`;
      },
    },
  };
}
