/**
 * The enrolment mail to one user (`factorgate users notify` for many, the console's "resend
 * the enrolment mail" for one): which mail (enrolment-plan.ts), sending it, then recording it,
 * with the PIN of code + PIN mode drawn and stored only once its mail has left.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { FactorgateError } from '../kit/errors.js';
import type { Clock } from '../kit/clock.js';
import type { HostConfig } from '../config/schema.js';
import type { Database, UserRow } from '../store/schema.js';
import { emailFor } from '../factors/email-factor.js';
import { generatePin, hashPin, type PinSealer } from '../delivery/codes.js';
import { loadTemplates, type EnrolledVars } from '../delivery/templates.js';
import { createMailer, type Mailer } from '../delivery/mailer.js';
import { planMail, type MailPlan } from './enrolment-plan.js';

export interface EnrolmentMailDeps {
  db: Kysely<Database>;
  config: HostConfig;
  clock: Clock;
  secrets: PinSealer;
}

/** The kinds of confirmed methods each user holds, for the methods that decide the mail. */
export async function heldMethods(db: Kysely<Database>, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const held = new Map<string, Set<string>>();
  // In slices: SQLite allows a bounded number of bound parameters per statement.
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('factors')
      .select(['user_id', 'kind'])
      .where('confirmed', '=', 1)
      .where('kind', 'in', ['oath', 'totp'])
      .where('user_id', 'in', userIds.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      let set = held.get(r.user_id);
      if (!set) held.set(r.user_id, (set = new Set()));
      set.add(r.kind);
    }
  }
  return held;
}

/** Where and which mail for one user; null when the user has no email address. */
export async function planEnrolmentMail(deps: Pick<EnrolmentMailDeps, 'db' | 'config'>, user: UserRow): Promise<{ to: string; plan: MailPlan } | null> {
  const to = emailFor(user.email);
  if (!to) return null;
  const held = await heldMethods(deps.db, [user.id]);
  return { to, plan: planMail(user, held.get(user.id) ?? new Set(), deps.config) };
}

/** Sends one user's mail (throws when the server refuses it), then records it and the PIN's hash. */
export async function sendEnrolmentMail(deps: EnrolmentMailDeps, mailer: Mailer, user: UserRow, to: string, plan: MailPlan): Promise<void> {
  const { db, config } = deps;
  // NIST SP 800-63B §5.1.1.2: a memorized secret chosen by the CSP is random; this one is drawn
  // from the CSPRNG and stored only as a peppered Argon2id hash.
  const pin = plan.method === 'pin' ? generatePin(6) : null;
  const vars = { ...plan, ...(pin === null ? {} : { pin }), displayName: user.display_name ?? user.username, productName: config.branding.productName } as EnrolledVars;
  await mailer.sendTemplate('enrolled', config.branding.defaultLocale, vars, user.display_name ? { name: user.display_name, address: to } : to);
  const now = deps.clock.now();
  // The PIN is stored only once its mail has left, so a user never holds a PIN nobody told them.
  if (pin !== null) {
    const pinHash = await hashPin(pin, deps.secrets, user.id);
    await db
      .insertInto('user_pins')
      .values({ user_id: user.id, pin_hash: pinHash, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ pin_hash: pinHash, updated_at: now }))
      .execute();
  }
  await db
    .insertInto('user_notifications')
    .values({ user_id: user.id, event: 'enrolled', method: plan.method, sent_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'event']).doUpdateSet({ method: plan.method, sent_at: now }))
    .execute();
}

/** Sends one user's enrolment mail now (the console's resend); says where and which. */
export type EnrolmentSender = (user: UserRow) => Promise<{ to: string; method: MailPlan['method'] }>;

/**
 * A sender over `delivery.smtp` with the configured templates, one connection per mail (a
 * resend is rare); null when no SMTP server is configured. A user without an email address is
 * a 400 the console shows.
 */
export function createEnrolmentSender(deps: EnrolmentMailDeps): EnrolmentSender | null {
  const smtp = deps.config.delivery?.smtp;
  if (!smtp) return null;
  const base = deps.config.configFile ? resolve(deps.config.configFile, '..') : process.cwd();
  const dir = deps.config.delivery?.templatesDir;
  const templates = loadTemplates({ templatesDir: dir && (isAbsolute(dir) ? dir : resolve(base, dir)) });
  return async (user) => {
    const target = await planEnrolmentMail(deps, user);
    if (!target) throw new FactorgateError('BAD_REQUEST', { detail: `user ${user.username} has no email address`, publicDetail: 'this user has no email address' });
    const mailer = createMailer(smtp, { templates });
    try {
      await sendEnrolmentMail(deps, mailer, user, target.to, target.plan);
    } finally {
      mailer.close();
    }
    return { to: target.to, method: target.plan.method };
  };
}
