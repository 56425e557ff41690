/**
 * `GET/POST /portal/pin`: a signed-in user sets or changes the PIN of "code + PIN" mode
 * (issue 10). Fields `pin`, `pinConfirm`, `currentPin` (when one is set) and `_csrf`. Only a
 * session that passed a second factor may use it; anyone else is sent to `/login`. The PIN is
 * stored with `hashPin` (Argon2id, sealed with the key ring as pepper) and never reaches the log or the audit record.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Kysely } from 'kysely';
import { bodyField, portalPost, portalUser } from './signed-in-user.js';
import type { Database } from '../store/schema.js';
import { hashPin, verifyPin, type PinSealer } from '../delivery/index.js';
import { html } from '../kit/pages/html.js';
import { addMessages, t } from '../kit/i18n.js';
import type { AccountChangeDeps } from './portal-deps.js';
import type { Regulator } from '../regulation/regulator.js';

addMessages('en', {
  'pin.title': 'Your PIN',
  'pin.intro': 'The PIN you type beside a code sent by text message or call. Use {min} to {max} digits.',
  'pin.current': 'Current PIN',
  'pin.new': 'New PIN',
  'pin.confirm': 'New PIN again',
  'pin.submit': 'Save the PIN',
  'pin.saved': 'Your PIN is saved.',
  'pin.error.FORMAT': 'A PIN is {min} to {max} digits.',
  'pin.error.TRIVIAL': 'This PIN is too easy to guess: avoid repeated digits and sequences such as 1234.',
  'pin.error.CONFIRM_MISMATCH': 'The two new PINs differ.',
  'pin.error.CURRENT_PIN_MISMATCH': 'The current PIN is incorrect.',
  'pin.error.TOO_MANY_ATTEMPTS': 'Too many wrong PINs. Try again later.',
});
addMessages('fr', {
  'pin.title': 'Votre code PIN',
  'pin.intro': 'Le code PIN à saisir avec un code reçu par SMS ou par appel. De {min} à {max} chiffres.',
  'pin.current': 'Code PIN actuel',
  'pin.new': 'Nouveau code PIN',
  'pin.confirm': 'Nouveau code PIN (confirmation)',
  'pin.submit': 'Enregistrer le code PIN',
  'pin.saved': 'Votre code PIN est enregistré.',
  'pin.error.FORMAT': 'Un code PIN compte de {min} à {max} chiffres.',
  'pin.error.TRIVIAL': 'Ce code PIN est trop facile à deviner : évitez les chiffres répétés et les suites comme 1234.',
  'pin.error.CONFIRM_MISMATCH': 'Les deux nouveaux codes PIN diffèrent.',
  'pin.error.CURRENT_PIN_MISMATCH': 'Le code PIN actuel est incorrect.',
  'pin.error.TOO_MANY_ATTEMPTS': 'Trop de codes PIN erronés. Réessayez plus tard.',
});

export const PIN_PATH = '/portal/pin';
/** Default PIN length when the configuration names none. */
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 8;
/** Wrong current PINs allowed per user within regulation's findTime before the page refuses. */
const MAX_WRONG_CURRENT = 5;

export type PinProblem = 'FORMAT' | 'TRIVIAL';

/** Why a new PIN is refused, or null: digits only, within the length, not one digit repeated nor a straight run. */
export function pinProblem(pin: string, min = PIN_MIN_DIGITS, max = PIN_MAX_DIGITS): PinProblem | null {
  if (!/^[0-9]+$/.test(pin) || pin.length < min || pin.length > max) return 'FORMAT';
  const d = [...pin].map(Number);
  const steps = d.slice(1).map((v, i) => (v - d[i]! + 10) % 10);
  // All the same digit (step 0), ascending (1234, 7890) or descending (4321, 2109).
  if (steps.every((s) => s === 0) || steps.every((s) => s === 1) || steps.every((s) => s === 9)) return 'TRIVIAL';
  return null;
}

export interface PinDeps extends AccountChangeDeps {
  db: Kysely<Database>;
  /** Seals PIN hashes (the key ring as their pepper). */
  secrets: PinSealer;
  /** Counts wrong current PINs (regulation's counters, key `p:` + the user id). */
  regulation: Pick<Regulator, 'reserve'>;
  minDigits?: number;
  maxDigits?: number;
}

export function mountPinPortal(router: Router, deps: PinDeps): void {
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 20 });
  const min = deps.minDigits ?? PIN_MIN_DIGITS;
  const max = deps.maxDigits ?? PIN_MAX_DIGITS;

  const storedHash = async (userId: string): Promise<string | null> =>
    (await deps.db.selectFrom('user_pins').select('pin_hash').where('user_id', '=', userId).executeTakeFirst())?.pin_hash ?? null;

  const show = (req: Request, res: Response, status: number, hasPin: boolean, opts: { error?: string; saved?: boolean } = {}) => {
    const L = deps.locale(req);
    const token = deps.csrf.token(req, res);
    const vars = { min: String(min), max: String(max) };
    const pinInput = (id: string, label: string, autocomplete: string) =>
      html`<label for="${id}">${label}</label>
<input type="password" id="${id}" name="${id}" inputmode="numeric" pattern="[0-9]*" minlength="${min}" maxlength="${max}" autocomplete="${autocomplete}" required ${opts.error ? html`aria-describedby="pin-error"` : ''}>`;
    deps.render(
      req,
      res,
      status,
      t(L, 'pin.title'),
      html`<h1>${t(L, 'pin.title')}</h1>
${opts.saved ? html`<p class="notice" role="status">${t(L, 'pin.saved')}</p>` : ''}
${opts.error ? html`<p class="error" role="alert" id="pin-error">${t(L, `pin.error.${opts.error}`, vars)}</p>` : ''}
<p>${t(L, 'pin.intro', vars)}</p>
<form method="post" action="${PIN_PATH}" novalidate>
<input type="hidden" name="_csrf" value="${token}">
${hasPin ? pinInput('currentPin', t(L, 'pin.current'), 'current-password') : ''}
${pinInput('pin', t(L, 'pin.new'), 'new-password')}
${pinInput('pinConfirm', t(L, 'pin.confirm'), 'new-password')}
<button type="submit">${t(L, 'pin.submit')}</button>
</form>`,
    );
  };

  router.get(PIN_PATH, async (req, res) => {
    const who = await portalUser(deps, req, res);
    if (!who) return;
    show(req, res, 200, (await storedHash(who.user.id)) !== null);
  });

  router.post(PIN_PATH, form, async (req, res) => {
    const who = await portalPost(deps, req, res);
    if (!who) return;
    // Setting a first PIN asks for no current one: the recent second factor is the proof (issue 19).
    if (!(await deps.reauth.recent(who, req, res, { event: 'pin-change', method: 'pin', returnTo: PIN_PATH }))) return;
    const user = who.user;
    const pin = bodyField(req, 'pin', 64);
    const confirm = bodyField(req, 'pinConfirm', 64);
    const current = bodyField(req, 'currentPin', 64);
    const stored = await storedHash(user.id);
    const now = deps.clock.now();

    const fail = async (reason: string, status: number) => {
      await deps.audit.record({ event: 'pin-change', result: 'failure', user, method: 'pin', denyReason: reason, adapter: 'host', clientIp: req.ip });
      show(req, res, status, stored !== null, { error: reason });
    };

    if (stored !== null) {
      const attempt = await deps.regulation.reserve(`p:${user.id}`, MAX_WRONG_CURRENT);
      if (!attempt) return fail('TOO_MANY_ATTEMPTS', 429);
      if (current === '' || !(await verifyPin(current, stored, deps.secrets, user.id)).ok) {
        await attempt.failed();
        return fail('CURRENT_PIN_MISMATCH', 401);
      }
      await attempt.succeeded();
    }
    const problem = pinProblem(pin, min, max);
    if (problem) return fail(problem, 400);
    if (pin !== confirm) return fail('CONFIRM_MISMATCH', 400);

    const pinHash = await hashPin(pin, deps.secrets, user.id);
    await deps.db
      .insertInto('user_pins')
      .values({ user_id: user.id, pin_hash: pinHash, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ pin_hash: pinHash, updated_at: now }))
      .execute();
    await deps.audit.record({ event: 'pin-change', result: 'success', user, method: 'pin', adapter: 'host', clientIp: req.ip, detail: stored ? 'changed' : 'set' });
    await deps.notices.changed(user, 'pin-changed', { locale: deps.locale(req), clientIp: req.ip });
    show(req, res, 200, true, { saved: true });
  });
}
