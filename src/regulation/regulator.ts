/**
 * The regulator (Authelia's `NewRegulator(config, store, clock)`): before a password is checked,
 * one try is reserved against the client address and against the account it names; a subject
 * over its limit is refused without asking the directory (no hash, no LDAP bind, so an Active
 * Directory account is not locked out through us). Each refusal is audited and logged as
 * RATE_LIMITED; the caller shows one neutral "wait" message.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.js';
import type { Clock } from '../host/clock.js';
import type { HostConfig } from '../host/config/schema.js';
import type { AdmittedAttempt, AuditApi, PrimaryAttempt, RefusedAttempt, RegulationApi } from '../host/host-api.js';
import { durationToMs } from '../directory/ldap/config.js';
import { accountKey, clientKey } from './subject-keys.js';
import { banIfFull, clearSubject, giveBackTry, purgeCounters, refusedUntil, reserveTry, type CounterPolicy } from './counter-store.js';

export type RegulationConfig = HostConfig['regulation'];

interface Subject {
  kind: 'client' | 'account';
  key: string;
  policy: CounterPolicy;
}

export interface Regulator extends RegulationApi {
  /** Deletes counters whose window and ban memory are over (the host's periodic sweep). */
  purge(): Promise<number>;
}

const UNREGULATED: AdmittedAttempt = { admitted: true, succeeded: async () => {}, failed: async () => {}, abandoned: async () => {} };

export function createRegulator(deps: { config: RegulationConfig; db: Kysely<Database>; clock: Clock; audit: AuditApi; logger: Logger }): Regulator {
  const { config, db, clock, audit } = deps;
  const log = deps.logger.child({ component: 'regulation' });
  const times = { findMs: durationToMs(config.findTime), banMs: durationToMs(config.banTime), maxBanMs: durationToMs(config.maxBanTime) };
  const policies = {
    client: { ...times, limit: config.client.maxFailures },
    account: { ...times, limit: config.account.maxFailures },
  } satisfies Record<Subject['kind'], CounterPolicy>;

  const subjectsOf = (attempt: PrimaryAttempt): Subject[] => {
    const out: Subject[] = [];
    // The client first: a spray over many names from one address stops there, cheaply.
    const client = clientKey(attempt.clientIp);
    if (client) out.push({ kind: 'client', key: client, policy: policies.client });
    const account = accountKey(attempt.username);
    if (account) out.push({ kind: 'account', key: account, policy: policies.account });
    return out;
  };

  const refuse = async (attempt: PrimaryAttempt, subject: Subject, now: number): Promise<RefusedAttempt> => {
    const until = await refusedUntil(db, subject.key, now, subject.policy);
    const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
    log.warn({ username: attempt.username, clientIp: attempt.clientIp, subject: subject.kind, retryAfterSeconds, adapter: attempt.adapter }, 'password sign-in refused: RATE_LIMITED');
    await audit.record({
      event: attempt.event,
      result: 'denied',
      username: attempt.username ?? undefined,
      method: 'password',
      denyReason: 'RATE_LIMITED',
      adapter: attempt.adapter,
      relyingParty: attempt.relyingParty,
      clientIp: attempt.clientIp,
      detail: `${subject.kind} refused until ${new Date(until).toISOString()}`,
    });
    return { admitted: false, retryAfterSeconds };
  };

  return {
    async admit(attempt) {
      if (!config.enabled) return UNREGULATED;
      const now = clock.now();
      const subjects = subjectsOf(attempt);
      const reserved: Subject[] = [];
      for (const subject of subjects) {
        if (await reserveTry(db, subject.key, now, subject.policy)) {
          reserved.push(subject);
          continue;
        }
        for (const r of reserved) await giveBackTry(db, r.key);
        return refuse(attempt, subject, now);
      }
      let settled = false;
      const settle = async (fn: (s: Subject) => Promise<void>) => {
        if (settled) return;
        settled = true;
        for (const s of reserved) await fn(s);
      };
      return {
        admitted: true,
        succeeded: () => settle((s) => (s.kind === 'account' ? clearSubject(db, s.key) : giveBackTry(db, s.key))),
        abandoned: () => settle((s) => giveBackTry(db, s.key)),
        failed: () =>
          settle(async (s) => {
            const at = clock.now();
            const until = await banIfFull(db, s.key, at, s.policy);
            if (until !== null) log.warn({ subject: s.kind, username: attempt.username, clientIp: attempt.clientIp, banSeconds: Math.round((until - at) / 1000) }, 'regulation: too many failed passwords, refusing for a while');
          }),
      };
    },

    purge: () => purgeCounters(db, clock.now(), times),
  };
}
