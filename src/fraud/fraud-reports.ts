/**
 * "This wasn't me" (issue 20): a user who did not start a sign-in reports it — from the
 * challenge page today; from a link in a sent code where the template carries one. A report
 * ends the pending challenge, is kept in `fraud_reports` (what the console lists), audited
 * `fraud-report`, and mailed to the configured admins. Under mode `block` it also blocks the
 * user's second factor (every challenge is denied FRAUD_BLOCKED until an admin runs
 * `users enable`) and revokes the user's remembered devices.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditApi, UserApi, UserRecord } from '../api/host-api.js';
import type { Database } from '../store/schema.js';
import type { FraudConfig } from '../policy/config.js';
import type { Mailer } from '../delivery/mailer.js';
import { revokeAllDevices } from '../devices/remembered-devices.js';

export type FraudChannel = 'page' | 'link' | 'voice' | 'sms';

export interface FraudReportInput {
  user: UserRecord;
  challengeId: string | null;
  /** The method the challenge was asking for, if any. */
  method: string | null;
  channel: FraudChannel;
  adapter: string;
  relyingParty: string | undefined;
  clientIp: string | undefined;
  now: number;
}

export interface FraudReportsDeps {
  db: Kysely<Database>;
  audit: AuditApi;
  logger: Logger;
  config: FraudConfig;
  /** The SMTP mailer (delivery.smtp); without one, admins are not mailed (logged). */
  mailer: Pick<Mailer, 'sendMail'> | null;
  productName: string;
  /** Finds the user of a challenge reported from outside the browser (link, call, text reply). */
  users: Pick<UserApi, 'findById'>;
}

/** Why a report naming a challenge (a link, a key on a call, a text reply) was not filed. */
export type ChallengeReportRefusal = 'UNKNOWN_CHALLENGE' | 'ALREADY_REPORTED' | 'UNKNOWN_USER';

export class FraudReports {
  constructor(private readonly deps: FraudReportsDeps) {}

  /** Records the report, blocks (mode block), ends the challenge, audits and mails the admins. */
  async report(input: FraudReportInput): Promise<{ id: string; blocked: boolean }> {
    const { db, config } = this.deps;
    const id = randomUUID();
    const blocked = config.mode === 'block';
    const devices = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('fraud_reports')
        .values({ id, user_id: input.user.id, challenge_id: input.challengeId, method: input.method, channel: input.channel, mode: config.mode, client_ip: input.clientIp ?? null, created_at: input.now, cleared_at: null, cleared_by: null })
        .execute();
      if (input.challengeId) {
        await trx
          .updateTable('challenges')
          .set({ status: 'denied', deny_reason: 'FRAUD_REPORTED', finished_at: input.now })
          .where('id', '=', input.challengeId)
          .where('user_id', '=', input.user.id)
          .where('status', '=', 'pending')
          .execute();
      }
      if (!blocked) return 0;
      await trx.updateTable('users').set({ fraud_blocked_at: input.now }).where('id', '=', input.user.id).execute();
      return revokeAllDevices(trx, input.user.id, input.now, 'fraud-report');
    });
    const detail = `${input.channel}: the user reported a sign-in they did not start; mode ${config.mode}${blocked ? `, second factor blocked, ${devices} remembered device(s) revoked` : ''}`;
    this.deps.logger.warn({ userId: input.user.id, challengeId: input.challengeId, channel: input.channel, mode: config.mode }, 'fraud reported');
    await this.deps.audit.record({
      event: 'fraud-report',
      result: blocked ? 'denied' : 'info',
      user: input.user,
      method: input.method ?? undefined,
      adapter: input.adapter,
      relyingParty: input.relyingParty,
      challengeId: input.challengeId ?? undefined,
      clientIp: input.clientIp,
      denyReason: 'FRAUD_REPORTED',
      detail,
    });
    await this.#mailAdmins(input, blocked, id);
    return { id, blocked };
  }

  /**
   * A report that names a challenge from outside the browser: the fraud link, `0` on a
   * press-pound call, a FRAUD reply to a text. The challenge's own record gives the app and the
   * sign-in's client address; one report per challenge (a second is refused, not filed).
   */
  async reportChallenge(input: { challengeId: string; method: string | null; channel: Exclude<FraudChannel, 'page'>; now: number }): Promise<{ ok: true; id: string; blocked: boolean } | { ok: false; reason: ChallengeReportRefusal }> {
    const { db } = this.deps;
    const challenge = await db.selectFrom('challenges').selectAll().where('id', '=', input.challengeId).executeTakeFirst();
    if (!challenge) return { ok: false, reason: 'UNKNOWN_CHALLENGE' };
    if (await this.alreadyReported(challenge.id)) return { ok: false, reason: 'ALREADY_REPORTED' };
    const user = await this.deps.users.findById(challenge.user_id);
    if (!user) return { ok: false, reason: 'UNKNOWN_USER' };
    const filed = await this.report({
      user,
      challengeId: challenge.id,
      method: input.method,
      channel: input.channel,
      adapter: challenge.adapter,
      relyingParty: challenge.relying_party ?? undefined,
      clientIp: challenge.client_ip ?? undefined,
      now: input.now,
    });
    return { ok: true, ...filed };
  }

  /** Whether a report already names this challenge. */
  async alreadyReported(challengeId: string): Promise<boolean> {
    const row = await this.deps.db.selectFrom('fraud_reports').select('id').where('challenge_id', '=', challengeId).executeTakeFirst();
    return row !== undefined;
  }

  async #mailAdmins(input: FraudReportInput, blocked: boolean, id: string): Promise<void> {
    const { notify } = this.deps.config;
    if (notify.length === 0) return;
    if (!this.deps.mailer) {
      this.deps.logger.warn({ reportId: id }, 'fraud report not mailed: policies.fraud.notify needs delivery.smtp');
      return;
    }
    const who = input.user.displayName ? `${input.user.displayName} (${input.user.username})` : input.user.username;
    const lines = [
      `${who} reported a sign-in they did not start.`,
      `When: ${new Date(input.now).toISOString()}`,
      `App: ${input.relyingParty ?? input.adapter}`,
      `Method asked: ${input.method ?? '-'}`,
      `Client address of the sign-in: ${input.clientIp ?? '-'}`,
      `Reported from: ${input.channel}`,
      blocked
        ? `The user's second factor is blocked and their remembered devices revoked. When it is safe: factorgate users enable ${input.user.username} --reason "..."`
        : 'Mode report: nothing was blocked.',
      `Report id: ${id}`,
    ];
    const text = `${lines.join('\n')}\n`;
    const html = `<pre>${text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)}</pre>`;
    for (const to of notify) {
      try {
        await this.deps.mailer.sendMail({ to, subject: `[${this.deps.productName}] Fraud report: ${input.user.username}`, text, html });
      } catch (err) {
        // The report stands (blocked, audited) even when the mail server is down; the log says so.
        this.deps.logger.error({ err, reportId: id, to }, 'fraud report mail failed');
      }
    }
  }
}
