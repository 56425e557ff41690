/**
 * Third-party OATH hardware tokens (HOTP, RFC 4226; TOTP, RFC 6238) behind the `Factor`
 * interface. Tokens are imported and assigned by an administrator (`factorgate tokens …`), so
 * there is no inline enrolment: a user holding at least one enabled token has one `oath`
 * method (kept by `TokenRepository`), and a code is tried against each of their tokens.
 *
 * The replay guard is the token's own: `verifyForUser` accepts a code only through a
 * conditional UPDATE of the token row (HOTP counter moved past the accepted value, RFC 4226
 * §7.2; TOTP step later than the last accepted one, RFC 6238 §5.2), written together with the
 * learnt drift. The verdict therefore carries no `step` for the engine to claim on the
 * `factors` row: one method covers several tokens whose counters and steps are unrelated.
 */
import { addMessages, t, type Locale } from '../kit/i18n.js';
import type { TokenRepository, TokenVerifyOptions } from '../tokens/token-repository.js';
import type { Factor, FactorVerifyResult } from './factor.js';

export const OATH_FACTOR_KIND = 'oath';

addMessages('en', {
  'oath.label': 'Hardware token',
  'oath.prompt': 'Press the button on your hardware token and enter the code it shows.',
});
addMessages('fr', {
  'oath.label': 'Jeton matériel',
  'oath.prompt': 'Appuyez sur le bouton de votre jeton matériel et saisissez le code affiché.',
});

export interface OathTokenFactorDeps extends TokenVerifyOptions {
  tokens: Pick<TokenRepository, 'verifyForUser'>;
}

export function createOathTokenFactor(deps: OathTokenFactorDeps): Factor {
  const options: TokenVerifyOptions = {
    // RFC 4226 §7.4: a small look-ahead absorbs presses that never reached us; the engine's
    // lockout bounds how often it can be guessed at.
    lookAhead: deps.lookAhead ?? 10,
    // RFC 6238 §5.2 recommends at most one step either side; drift is learnt per token.
    window: deps.window ?? 1,
  };
  return {
    kind: OATH_FACTOR_KIND,
    label: (locale: Locale) => t(locale, 'oath.label'),
    prompt: (locale: Locale) => t(locale, 'oath.prompt'),
    isEnrolled: (row) => row.kind === OATH_FACTOR_KIND && row.confirmed === 1,

    async verify({ user, code, now }): Promise<FactorVerifyResult> {
      const r = await deps.tokens.verifyForUser(user.id, code, now, options);
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    },
  };
}
