/**
 * Issue 19: every self-service change is mailed to the user ("an authenticator app was added to
 * your account; if this wasn't you, …") through the `account-changed` template (en/fr), so a
 * change made by someone else with the user's session is noticed by the user. Sent to the
 * directory's address and to every email address the user verified for codes. A mail that cannot
 * go out never undoes or blocks the change: it is logged (masked) and audited as
 * `change-notice` with its reason.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditApi, UserRecord } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import type { Locale } from '../kit/i18n.js';
import type { Database } from '../store/schema.js';
import type { Factor } from '../factors/factor.js';
import type { AccountChange, Mailer } from '../delivery/index.js';
import { emailFor, maskEmail } from '../factors/email-factor.js';

export interface ChangeNotices {
  changed(user: UserRecord, change: AccountChange, ctx: { locale: Locale; clientIp?: string | undefined; alsoTo?: string | undefined }): Promise<void>;
}

export interface ChangeNoticesDeps {
  db: Kysely<Database>;
  /** Null when no SMTP is configured: the change is then only audited, and logged once here. */
  mailer: Pick<Mailer, 'sendTemplate'> | null;
  factors: readonly Factor[];
  audit: Pick<AuditApi, 'record'>;
  clock: Clock;
  logger: Logger;
  productName: string;
  publicUrl: string;
}

export function createChangeNotices(deps: ChangeNoticesDeps): ChangeNotices {
  const log = deps.logger.child({ component: 'change-notices' });
  const email = deps.factors.find((f) => f.kind === 'email' && f.contact);
  if (!deps.mailer) log.info('no delivery.smtp: portal changes are audited but not mailed to users');

  /** The directory's address, then the addresses the user verified for email codes. */
  const recipientsOf = async (user: UserRecord): Promise<string[]> => {
    const found = new Set<string>();
    const own = emailFor(user.email);
    if (own) found.add(own);
    if (email?.contact) {
      const rows = await deps.db.selectFrom('factors').selectAll().where('user_id', '=', user.id).where('kind', '=', 'email').where('confirmed', '=', 1).execute();
      for (const row of rows) {
        const a = email.contact.addressOf(row);
        if (a) found.add(a);
      }
    }
    return [...found];
  };

  return {
    async changed(user, change, ctx) {
      if (!deps.mailer) return;
      const to = await recipientsOf(user);
      const extra = ctx.alsoTo ? emailFor(ctx.alsoTo) : null;
      if (extra && !to.includes(extra)) to.push(extra);
      const base = { event: 'change-notice', user, adapter: 'host', clientIp: ctx.clientIp } as const;
      if (to.length === 0) {
        await deps.audit.record({ ...base, result: 'failure', denyReason: 'NO_ADDRESS', detail: change });
        return;
      }
      const when = new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(deps.clock.now()) + ' UTC';
      const vars = { displayName: user.displayName ?? user.username, productName: deps.productName, change, when, clientIp: ctx.clientIp ?? '-', portalUrl: `${deps.publicUrl}/portal/methods` };
      for (const address of to) {
        try {
          await deps.mailer.sendTemplate('changed', ctx.locale, vars, { name: vars.displayName, address });
          await deps.audit.record({ ...base, result: 'success', detail: `${change} mailed to ${maskEmail(address)}` });
        } catch (err) {
          log.warn({ userId: user.id, change, to: maskEmail(address), err: (err as Error).message }, 'change notice not mailed');
          await deps.audit.record({ ...base, result: 'failure', denyReason: 'DELIVERY_FAILED', detail: `${change} to ${maskEmail(address)}` });
        }
      }
    },
  };
}
