/**
 * The regulator (Authelia's `NewRegulator(config, store, clock)`): before a password is checked,
 * one try is reserved against the client address and against the account it names; a subject
 * over its limit is refused without asking the directory (no hash, no LDAP bind, so an Active
 * Directory account is not locked out through us). Each refusal is audited and logged as
 * RATE_LIMITED, and answered after `refusalDelay`; the caller shows one neutral "wait" message.
 *
 * A ban this host has seen is remembered here until it ends, so a flood of refused tries costs
 * no store round trip (a ban is only ever lifted by time: a right password cannot be tried
 * while it lasts). Any host learns a ban from the store at its first refused try.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.js';
import type { Clock } from '../kit/clock.js';
import type { HostConfig } from '../config/schema.js';
import type { AdmittedAttempt, AuditApi, PrimaryAttempt, RefusedAttempt, RegulationApi } from '../api/host-api.js';
import { durationToMs } from '../kit/durations.js';
import { accountKey, clientKey } from './subject-keys.js';
import { banIfFull, clearSubject, giveBackTry, purgeCounters, refusedUntil, reserveTry, settleSuccess, type CounterPolicy } from './counter-store.js';

export type RegulationConfig = HostConfig['regulation'];

interface Subject {
  kind: 'client' | 'account';
  key: string;
  policy: CounterPolicy;
}

/** A try of a host-limited subject (see `Regulator.reserve`): settle it once. */
export interface ReservedTry {
  /** Right: the run of failures ends. */
  succeeded(): Promise<void>;
  /** Wrong: stays counted; the try that fills the window sets the ban. */
  failed(): Promise<void>;
}

export interface Regulator extends RegulationApi {
  /**
   * One try of a secret the host checks for itself, on the same counters, windows and growing
   * bans as sign-in (the portal's current PIN: `p:` + the user id): at most `limit` failures
   * within findTime, then refused for banTime. Null when refused; nothing is audited or logged
   * here (the caller knows its page and event). Applies even with `regulation.enabled: false`,
   * which is about password sign-in only.
   */
  reserve(key: string, limit: number): Promise<ReservedTry | null>;
  /** Deletes counters whose window and ban memory are over (the host's periodic sweep). */
  purge(): Promise<number>;
}

/** Bans remembered per host, at most this many (oldest dropped first when full). */
const KNOWN_BANS_MAX = 10_000;

const UNREGULATED: AdmittedAttempt = { admitted: true, succeeded: async () => {}, failed: async () => {}, abandoned: async () => {} };

export function createRegulator(deps: { config: RegulationConfig; db: Kysely<Database>; clock: Clock; audit: AuditApi; logger: Logger }): Regulator {
  const { config, db, clock, audit } = deps;
  const log = deps.logger.child({ component: 'regulation' });
  const times = { findMs: durationToMs(config.findTime), banMs: durationToMs(config.banTime), maxBanMs: durationToMs(config.maxBanTime) };
  const policies = {
    client: { ...times, limit: config.client.maxFailures },
    account: { ...times, limit: config.account.maxFailures },
  } satisfies Record<Subject['kind'], CounterPolicy>;

  const delayMs = durationToMs(config.refusalDelay);
  const knownBans = new Map<string, number>();
  const rememberBan = (key: string, until: number) => {
    if (knownBans.size >= KNOWN_BANS_MAX) knownBans.delete(knownBans.keys().next().value!);
    knownBans.set(key, until);
  };
  const knownBan = (key: string, now: number): number | null => {
    const until = knownBans.get(key);
    if (until === undefined) return null;
    if (until > now) return until;
    knownBans.delete(key);
    return null;
  };

  const subjectsOf = (attempt: PrimaryAttempt): Subject[] => {
    const out: Subject[] = [];
    // The client first: a spray over many names from one address stops there, cheaply.
    const client = clientKey(attempt.clientIp);
    if (client) out.push({ kind: 'client', key: client, policy: policies.client });
    const account = accountKey(attempt.username);
    if (account) out.push({ kind: 'account', key: account, policy: policies.account });
    return out;
  };

  const refuse = async (attempt: PrimaryAttempt, subject: Subject, now: number, known: number | null): Promise<RefusedAttempt> => {
    const until = known ?? (await refusedUntil(db, subject.key, now, subject.policy));
    if (known === null && until > now) rememberBan(subject.key, until);
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
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { admitted: false, retryAfterSeconds };
  };

  return {
    async admit(attempt) {
      if (!config.enabled) return UNREGULATED;
      const now = clock.now();
      const subjects = subjectsOf(attempt);
      const reserved: Array<Subject & { count: number }> = [];
      for (const subject of subjects) {
        const known = knownBan(subject.key, now);
        if (known !== null) return refuse(attempt, subject, now, known);
      }
      for (const subject of subjects) {
        const count = await reserveTry(db, subject.key, now, subject.policy);
        if (count !== null) {
          reserved.push({ ...subject, count });
          continue;
        }
        for (const r of reserved) await giveBackTry(db, r.key);
        return refuse(attempt, subject, now, null);
      }
      let settled = false;
      const settle = async (fn: (s: Subject & { count: number }) => Promise<void>) => {
        if (settled) return;
        settled = true;
        for (const s of reserved) await fn(s);
      };
      return {
        admitted: true,
        succeeded: async () => {
          if (settled) return;
          const client = reserved.find((s) => s.kind === 'client');
          const account = reserved.find((s) => s.kind === 'account');
          if (client && account) {
            // The usual sign-in holds both reservations: one statement settles them.
            settled = true;
            knownBans.delete(account.key);
            return settleSuccess(db, client.key, account.key);
          }
          return settle(async (s) => {
            if (s.kind !== 'account') return giveBackTry(db, s.key);
            knownBans.delete(s.key);
            return clearSubject(db, s.key);
          });
        },
        abandoned: () => settle((s) => giveBackTry(db, s.key)),
        failed: () =>
          settle(async (s) => {
            // The failure is already counted (reserved); only the try that filled the window can
            // set a ban (counter-store.ts): the others cost no statement.
            if (s.count < s.policy.limit) return;
            const at = clock.now();
            const until = await banIfFull(db, s.key, at, s.policy);
            if (until !== null) rememberBan(s.key, until);
            if (until !== null) log.warn({ subject: s.kind, username: attempt.username, clientIp: attempt.clientIp, banSeconds: Math.round((until - at) / 1000) }, 'regulation: too many failed passwords, refusing for a while');
          }),
      };
    },

    async reserve(key, limit) {
      const policy = { ...times, limit };
      const count = await reserveTry(db, key, clock.now(), policy);
      if (count === null) return null;
      let settled = false;
      const once = (fn: () => Promise<unknown>) => async () => {
        if (settled) return;
        settled = true;
        await fn();
      };
      return {
        succeeded: once(() => clearSubject(db, key)),
        failed: once(async () => (count < limit ? null : banIfFull(db, key, clock.now(), policy))),
      };
    },

    purge: () => purgeCounters(db, clock.now(), times),
  };
}
