/**
 * `factorgate users notify`: after an import, tell each user by mail how their second step will
 * work, as the seeds' server did: the number that will receive codes or ring, the initial PIN
 * in code + PIN mode, or the link to register an authenticator app. `--all-new` mails only
 * users never notified (remembered in `user_notifications`), so running it after every import
 * mails each user once; `--user NAME` mails one user again.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Clock } from '../../host/clock.js';
import type { HostConfig } from '../../host/config/schema.js';
import { UsageError } from '../cli-context.js';
import { createMailer, generatePin, hashPin, loadTemplates, type EnrolledVars } from '../../delivery/index.js';
import type { Database, UserRow } from '../../store/schema.js';
import { foldUsername } from '../../directory/directory.js';
import { phoneFor } from '../../factors/sms-factor.js';
import { emailFor } from '../../factors/email-factor.js';

export interface NotifyDeps {
  db: Kysely<Database>;
  config: HostConfig;
  clock: Clock;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

type MethodVars = { method: 'totp'; portalUrl: string } | { method: 'sms' | 'voice'; phone: string } | { method: 'pin'; pin: string };

/** The mail a user gets: the method they will meet first at sign-in, as `provision` will set it up. */
function planFor(user: UserRow, config: HostConfig): { vars: MethodVars; pin: string | null } {
  const region = config.delivery?.defaultRegion ?? 'US';
  const { sms, voice } = config.factors;
  const smsTo = sms && config.delivery?.sms ? phoneFor([user.mobile, user.phone], region) : null;
  const voiceTo = voice && config.delivery?.voice ? phoneFor([user.phone, user.mobile], region) : null;
  const pinMode = (smsTo && sms?.pin === 'required') || (!smsTo && voiceTo && voice?.pin === 'required');
  if (pinMode) {
    // NIST SP 800-63B §5.1.1.2: a memorized secret chosen by the CSP is random; this one is
    // drawn from the CSPRNG and stored only as an scrypt hash.
    const pin = generatePin(6);
    return { vars: { method: 'pin', pin }, pin };
  }
  if (smsTo) return { vars: { method: 'sms', phone: smsTo }, pin: null };
  if (voiceTo) return { vars: { method: 'voice', phone: voiceTo }, pin: null };
  return { vars: { method: 'totp', portalUrl: `${config.publicUrl}/login` }, pin: null };
}

export async function notifyUsers(deps: NotifyDeps, username: string | null): Promise<number> {
  const { db, config } = deps;
  const smtp = config.delivery?.smtp;
  if (!smtp) throw new UsageError('users notify needs delivery.smtp in the configuration');
  const base = config.configFile ? resolve(config.configFile, '..') : process.cwd();
  const dir = config.delivery?.templatesDir;
  const templates = loadTemplates({ templatesDir: dir && (isAbsolute(dir) ? dir : resolve(base, dir)) });
  const mailer = createMailer(smtp, { templates });

  let users: UserRow[];
  if (username !== null) {
    users = await db.selectFrom('users').selectAll().where('username', '=', foldUsername(username)).execute();
    if (users.length === 0) throw new UsageError(`no user "${username}"`);
  } else {
    users = await db
      .selectFrom('users')
      .selectAll()
      .where('disabled', '=', 0)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('user_notifications').select('user_id').whereRef('user_notifications.user_id', '=', 'users.id').where('event', '=', 'enrolled'))),
      )
      .orderBy('username')
      .execute();
  }

  let failures = 0;
  let sent = 0;
  try {
    for (const user of users) {
      const to = emailFor(user.email);
      if (!to) {
        deps.err.write(`skipped ${user.username}: no email address\n`);
        continue;
      }
      const plan = planFor(user, config);
      const now = deps.clock.now();
      const vars = { ...plan.vars, displayName: user.display_name ?? user.username, productName: config.branding.productName } as EnrolledVars;
      try {
        await mailer.sendTemplate('enrolled', config.branding.defaultLocale, vars, user.display_name ? { name: user.display_name, address: to } : to);
      } catch (err) {
        failures++;
        deps.err.write(`failed ${user.username}: ${(err as { detail?: string }).detail ?? (err as Error).message}\n`);
        continue;
      }
      // The PIN is stored only once its mail has left, so a user never holds a PIN nobody told them.
      if (plan.pin !== null) {
        const pinHash = await hashPin(plan.pin);
        await db
          .insertInto('user_pins')
          .values({ user_id: user.id, pin_hash: pinHash, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ pin_hash: pinHash, updated_at: now }))
          .execute();
      }
      await db
        .insertInto('user_notifications')
        .values({ user_id: user.id, event: 'enrolled', method: vars.method, sent_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'event']).doUpdateSet({ method: vars.method, sent_at: now }))
        .execute();
      sent++;
      deps.out.write(`notified ${user.username} (${vars.method})\n`);
    }
  } finally {
    mailer.close();
  }
  deps.out.write(`${sent} notified, ${failures} failed\n`);
  return failures > 0 ? 1 : 0;
}
