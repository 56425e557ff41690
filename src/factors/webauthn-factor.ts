/**
 * Security keys and passkeys (W3C WebAuthn Level 2) behind the `Factor` interface, on
 * `@simplewebauthn/server` for the ceremony checks (client data, RP ID hash, flags, signature,
 * attestation). One factor row per credential: `params` holds the credential id, its COSE public
 * key, transports, AAGUID and backup flags; `last_used_step` holds the signature counter, so the
 * engine's conditional claim (check-replay.ts) makes a counter value single use across hosts.
 *
 * The "code" the page posts is the browser's answer as JSON (webauthn-script.ts fills it in).
 * An assertion is bound to its challenge: the WebAuthn challenge is derived from the challenge
 * id (256 random bits, single use), so an assertion replayed into another challenge is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Database, FactorRow } from '../store/schema.js';
import type { HostConfig } from '../config/schema.js';
import type { AuditApi, UserRecord } from '../api/host-api.js';
import { addMessages, t, type Locale } from '../kit/i18n.js';
import { html } from '../kit/pages/html.js';
import type { Factor, FactorVerifyResult } from './factor.js';
import { WEBAUTHN_SCRIPT, WEBAUTHN_SCRIPT_PATH } from './webauthn-script.js';

/**
 * `@simplewebauthn/server` and the ASN.1/X.509 stack under it (≈ 250 module files) load at the
 * first ceremony, not at every start of a host that may never see a security key.
 */
let simpleWebAuthn: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webAuthnLibrary = (): Promise<typeof import('@simplewebauthn/server')> => (simpleWebAuthn ??= import('@simplewebauthn/server'));

export const WEBAUTHN_KIND = 'webauthn';
export type WebAuthnConfig = NonNullable<HostConfig['factors']['webauthn']>;

/** What `factors.params` holds for a registered credential (all base64url or plain values). */
export interface WebAuthnParams {
  credentialId: string;
  publicKey: string;
  transports: string[];
  aaguid: string;
  /** The BE flag at registration: it may never change for a credential (WebAuthn §6.1). */
  backupEligible: boolean;
  backedUp: boolean;
}

/** An unconfirmed row waiting for the browser's registration answer. */
interface PendingParams {
  registrationChallenge: string;
}

addMessages('en', {
  'webauthn.label': 'Security key or passkey',
  'webauthn.prompt': 'Use your security key or passkey: press the button, then follow your browser’s prompt.',
  'webauthn.use': 'Use your security key or passkey',
  'webauthn.enrol.intro': 'Your account needs a second step. Register a security key or a passkey (on this device, your phone or a USB key).',
  'webauthn.enrol.name': 'Name of this key',
  'webauthn.enrol.defaultName': 'Security key',
  'webauthn.enrol.use': 'Register my security key or passkey',
  'webauthn.noscript': 'Security keys need JavaScript in this browser. Choose another method below, or turn JavaScript on.',
  'webauthn.cancelled': 'The browser did not complete the request. Try again, or choose another method.',
  'mfa.failed.webauthn': 'Your security key or passkey could not be verified. Try again, or choose another method.',
});
addMessages('fr', {
  'webauthn.label': 'Clé de sécurité ou clé d’accès',
  'webauthn.prompt': 'Utilisez votre clé de sécurité ou votre clé d’accès : appuyez sur le bouton, puis suivez les indications du navigateur.',
  'webauthn.use': 'Utiliser ma clé de sécurité ou ma clé d’accès',
  'webauthn.enrol.intro': 'Votre compte demande une seconde étape. Enregistrez une clé de sécurité ou une clé d’accès (sur cet appareil, votre téléphone ou une clé USB).',
  'webauthn.enrol.name': 'Nom de cette clé',
  'webauthn.enrol.defaultName': 'Clé de sécurité',
  'webauthn.enrol.use': 'Enregistrer ma clé de sécurité ou ma clé d’accès',
  'webauthn.noscript': 'Les clés de sécurité demandent JavaScript dans ce navigateur. Choisissez une autre méthode ci-dessous, ou activez JavaScript.',
  'webauthn.cancelled': 'Le navigateur n’a pas terminé la demande. Réessayez, ou choisissez une autre méthode.',
  'mfa.failed.webauthn': 'Votre clé de sécurité ou clé d’accès n’a pas pu être vérifiée. Réessayez, ou choisissez une autre méthode.',
});

/** The WebAuthn challenge of one sign-in challenge: fresh per challenge, never stored. */
export function assertionChallenge(challengeId: string): string {
  return createHash('sha256').update(`factorgate:webauthn:${challengeId}`).digest('base64url');
}

export function readWebAuthnParams(row: FactorRow): WebAuthnParams | null {
  try {
    const p = JSON.parse(row.params) as Partial<WebAuthnParams>;
    return typeof p.credentialId === 'string' && typeof p.publicKey === 'string' ? (p as WebAuthnParams) : null;
  } catch {
    return null;
  }
}

function readPending(row: FactorRow): PendingParams | null {
  try {
    const p = JSON.parse(row.params) as Partial<PendingParams>;
    return typeof p.registrationChallenge === 'string' ? { registrationChallenge: p.registrationChallenge } : null;
  } catch {
    return null;
  }
}

/** The posted answer: `{ credential, name? }`, or null when it is not that shape. */
function readAnswer(code: string): { credential: Record<string, unknown>; name: string | null } | null {
  if (code.length === 0 || code.length > 16_384) return null;
  try {
    const v = JSON.parse(code) as { credential?: unknown; name?: unknown };
    if (typeof v.credential !== 'object' || v.credential === null) return null;
    const c = v.credential as Record<string, unknown>;
    if (typeof c.id !== 'string' || typeof c.response !== 'object' || c.response === null) return null;
    const name = typeof v.name === 'string' ? v.name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim().slice(0, 64) : '';
    return { credential: c, name: name === '' ? null : name };
  } catch {
    return null;
  }
}

export interface WebAuthnFactorDeps {
  db: Kysely<Database>;
  config: WebAuthnConfig;
  /** `server.publicUrl`: the default RP ID (its host) and origin. */
  publicUrl: string;
  /** Shown by the browser's prompt. */
  rpName: string;
  logger?: Logger | undefined;
  /** Counter regressions accepted under `counterRegression: audit` are audited here. */
  audit?: AuditApi | undefined;
  /**
   * Whether this user must verify on the key (PIN or biometric) whatever `userVerification` says
   * (`userVerificationRequiredFor`: admins, named groups). The host answers it from the directory.
   */
  userVerificationRequired?: ((user: UserRecord) => Promise<boolean>) | undefined;
}

export function createWebAuthnFactor(deps: WebAuthnFactorDeps): Factor {
  const { config, db } = deps;
  const base = new URL(deps.publicUrl);
  const rpID = config.rpId ?? base.hostname;
  const origins = config.origins?.map((o) => new URL(o).origin) ?? [base.origin];
  /** WebAuthn §7.1 step 16 / §7.2 step 17: the UV flag is required for this user, or only preferred. */
  const mustVerify = async (user: UserRecord): Promise<boolean> => config.userVerification === 'required' || ((await deps.userVerificationRequired?.(user)) ?? false);
  const log = deps.logger?.child({ factor: WEBAUTHN_KIND });

  const userCredentials = async (userId: string) =>
    (await db.selectFrom('factors').selectAll().where('user_id', '=', userId).where('kind', '=', WEBAUTHN_KIND).where('confirmed', '=', 1).execute())
      .map(readWebAuthnParams)
      .filter((p): p is WebAuthnParams => p !== null);

  const register = async (user: UserRecord, row: FactorRow, answer: NonNullable<ReturnType<typeof readAnswer>>, locale: Locale): Promise<FactorVerifyResult> => {
    const pending = readPending(row);
    if (!pending) return { ok: false, reason: 'UNUSABLE' };
    let info;
    try {
      const r = await (await webAuthnLibrary()).verifyRegistrationResponse({
        response: answer.credential as unknown as RegistrationResponseJSON,
        expectedChallenge: pending.registrationChallenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        requireUserVerification: await mustVerify(user),
      });
      if (!r.verified) return { ok: false, reason: 'MISMATCH' };
      info = r.registrationInfo;
    } catch (err) {
      log?.warn({ factorId: row.id, why: (err as Error).message }, 'WebAuthn registration refused');
      return { ok: false, reason: 'MISMATCH' };
    }
    if (config.allowedAaguids.length > 0 && !config.allowedAaguids.some((a) => a.toLowerCase() === info.aaguid.toLowerCase())) {
      log?.warn({ factorId: row.id, aaguid: info.aaguid }, 'WebAuthn authenticator not in factors.webauthn.allowedAaguids');
      return { ok: false, reason: 'AUTHENTICATOR_REFUSED' };
    }
    const params: WebAuthnParams = {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      transports: info.credential.transports ?? [],
      aaguid: info.aaguid,
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
    };
    // Written only while the row is still unconfirmed: confirm-enrolment.ts then confirms it.
    const r = await db
      .updateTable('factors')
      .set({ params: JSON.stringify(params), label: answer.name ?? t(locale, 'webauthn.enrol.defaultName'), last_used_step: info.credential.counter })
      .where('id', '=', row.id)
      .where('confirmed', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { ok: true } : { ok: false, reason: 'REPLAY' };
  };

  const authenticate = async (input: { user: UserRecord; row: FactorRow; params: WebAuthnParams; answer: NonNullable<ReturnType<typeof readAnswer>>; challengeId: string; now: number }): Promise<FactorVerifyResult> => {
    const { row, params, answer } = input;
    if (answer.credential.id !== params.credentialId) return { ok: false, reason: 'MISMATCH' };
    let info;
    try {
      const r = await (await webAuthnLibrary()).verifyAuthenticationResponse({
        response: answer.credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: assertionChallenge(input.challengeId),
        expectedOrigin: origins,
        expectedRPID: rpID,
        // Counter 0 here: the regression check is ours (policy, audit), below.
        credential: { id: params.credentialId, publicKey: Buffer.from(params.publicKey, 'base64url'), counter: 0, transports: params.transports },
        requireUserVerification: await mustVerify(input.user),
      });
      if (!r.verified) return { ok: false, reason: 'MISMATCH' };
      info = r.authenticationInfo;
    } catch (err) {
      log?.warn({ factorId: row.id, why: (err as Error).message }, 'WebAuthn assertion refused');
      return { ok: false, reason: 'MISMATCH' };
    }
    if ((info.credentialDeviceType === 'multiDevice') !== params.backupEligible) {
      log?.warn({ factorId: row.id }, 'WebAuthn backup eligibility changed since registration');
      return { ok: false, reason: 'AUTHENTICATOR_REFUSED' };
    }
    const stored = row.last_used_step ?? 0;
    const counter = info.newCounter;
    let step: number | undefined = counter > 0 ? counter : undefined;
    if ((counter > 0 || stored > 0) && counter <= stored) {
      log?.warn({ factorId: row.id, stored, counter, policy: config.counterRegression }, 'WebAuthn signature counter went backwards: possible cloned key');
      if (config.counterRegression === 'refuse') return { ok: false, reason: 'COUNTER_REGRESSION' };
      await deps.audit?.record({
        event: 'second-factor',
        result: 'info',
        user: input.user,
        method: WEBAUTHN_KIND,
        deviceToken: row.id,
        challengeId: input.challengeId,
        detail: `COUNTER_REGRESSION: counter ${counter} after ${stored}; accepted by factors.webauthn.counterRegression audit`,
      });
      step = undefined;
    }
    await db
      .updateTable('factors')
      .set({ params: JSON.stringify({ ...params, backedUp: info.credentialBackedUp }), ...(step === undefined ? { last_used_at: input.now } : {}) })
      .where('id', '=', row.id)
      .execute();
    return step === undefined ? { ok: true } : { ok: true, step };
  };

  return {
    kind: WEBAUTHN_KIND,
    label: (locale: Locale) => t(locale, 'webauthn.label'),
    prompt: (locale: Locale) => t(locale, 'webauthn.prompt'),
    isEnrolled: (row) => row.kind === WEBAUTHN_KIND && row.confirmed === 1 && readWebAuthnParams(row) !== null,

    async verify({ user, factorRow, code, challengeId, now }): Promise<FactorVerifyResult> {
      const answer = readAnswer(code);
      if (!answer) return { ok: false, reason: 'MALFORMED' };
      if (factorRow.confirmed === 0) return register(user, factorRow, answer, 'en');
      const params = readWebAuthnParams(factorRow);
      if (!params || !challengeId) return { ok: false, reason: 'UNUSABLE' };
      return authenticate({ user, row: factorRow, params, answer, challengeId, now });
    },

    routes(router) {
      router.get(WEBAUTHN_SCRIPT_PATH, (_req, res) => {
        res.setHeader('Cache-Control', 'public, max-age=3600');
        res.type('text/javascript').send(WEBAUTHN_SCRIPT);
      });
    },

    async renderField({ user, factorRow, locale, challengeId }) {
      const enrolling = factorRow.confirmed === 0;
      const userVerification = (await mustVerify(user)) ? 'required' : config.userVerification;
      let options: unknown;
      if (enrolling) {
        const pending = readPending(factorRow);
        if (!pending) throw new Error(`factor ${factorRow.id} has no registration challenge`);
        options = await (await webAuthnLibrary()).generateRegistrationOptions({
          rpName: deps.rpName,
          rpID,
          userName: user.upn ?? user.email ?? user.username,
          userDisplayName: user.displayName ?? user.username,
          userID: new TextEncoder().encode(user.id),
          challenge: Buffer.from(pending.registrationChallenge, 'base64url'),
          attestationType: config.attestation,
          excludeCredentials: (await userCredentials(user.id)).map((c) => ({ id: c.credentialId, transports: c.transports })),
          authenticatorSelection: { residentKey: 'preferred', userVerification },
        });
      } else {
        const params = readWebAuthnParams(factorRow);
        options = await (await webAuthnLibrary()).generateAuthenticationOptions({
          rpID,
          challenge: Buffer.from(assertionChallenge(challengeId), 'base64url'),
          allowCredentials: params ? [{ id: params.credentialId, transports: params.transports as never }] : [],
          userVerification,
        });
      }
      return html`<div id="webauthn" data-mode="${enrolling ? 'create' : 'get'}" data-options="${JSON.stringify(options)}">
${enrolling ? '' : html`<p class="muted" id="code-hint"><small>${t(locale, 'webauthn.prompt')}</small></p>`}
${enrolling ? html`<label for="webauthn-name">${t(locale, 'webauthn.enrol.name')}</label>
<input type="text" id="webauthn-name" maxlength="64" value="${t(locale, 'webauthn.enrol.defaultName')}">` : ''}
<input type="hidden" name="code" id="webauthn-response" value="">
<p class="error" role="alert" id="webauthn-failed" hidden>${t(locale, 'webauthn.cancelled')}</p>
<noscript><p class="error">${t(locale, 'webauthn.noscript')}</p></noscript>
<button type="button" id="webauthn-start" hidden>${t(locale, enrolling ? 'webauthn.enrol.use' : 'webauthn.use')}</button>
</div>
<script src="${WEBAUTHN_SCRIPT_PATH}" defer></script>`;
    },

    enrolment: {
      async create() {
        const registrationChallenge = randomBytes(32).toString('base64url');
        return { label: null, secretEnc: null, params: { registrationChallenge } };
      },
      async render({ locale }) {
        return html`<p>${t(locale, 'webauthn.enrol.intro')}</p>`;
      },
    },
  };
}
