/**
 * One audit record per authentication attempt, with the fields the seeds name: unique id,
 * first and last name, email, phone, device token, method, result, deny reason, server name
 * and IP, client IP, plus adapter, relying party and time. Never a code, password or secret.
 */
import { randomUUID } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, AuditEventsTable } from '../store/schema.js';
import type { AuditApi, AuditInput } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared-query.js';

function firstServerIp(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) if (!addr.internal && addr.family === 'IPv4') return addr.address;
  }
  return '127.0.0.1';
}

/** Every column of an audit record (the compiler refuses a column missing here or unknown to the table). */
const AUDIT_COLUMNS = Object.keys({
  id: true, ts: true, event: true, user_id: true, username: true, given_name: true, surname: true, email: true, phone: true, device_token: true,
  method: true, result: true, deny_reason: true, server_name: true, server_ip: true, client_ip: true, adapter: true, relying_party: true, challenge_id: true, detail: true,
} satisfies Record<keyof AuditEventsTable, true>) as (keyof AuditEventsTable)[];

export class AuditLog implements AuditApi {
  readonly #serverName = hostname();
  readonly #serverIp = firstServerIp();

  /**
   * The insert compiled once (20 columns: building and compiling it cost more than running it).
   * Still one synchronous, committed statement per record: nothing is batched or held in memory,
   * so a killed process loses no record it has already acknowledged.
   */
  readonly #insert: PreparedQuery<AuditEventsTable, unknown>;

  constructor(
    db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.#insert = prepareQuery(db, (q, p) => q.insertInto('audit_events').values(Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, p(c)])) as unknown as AuditEventsTable));
  }

  async record(input: AuditInput): Promise<void> {
    const row: AuditEventsTable = {
      id: randomUUID(),
      ts: this.clock.now(),
      event: input.event,
      user_id: input.user?.id ?? null,
      username: input.user?.username ?? input.username ?? null,
      given_name: input.user?.givenName ?? null,
      surname: input.user?.surname ?? null,
      email: input.user?.email ?? null,
      phone: input.user?.phone ?? input.user?.mobile ?? null,
      device_token: input.deviceToken ?? null,
      method: input.method ?? null,
      result: input.result,
      deny_reason: input.denyReason ?? null,
      server_name: this.#serverName,
      server_ip: this.#serverIp,
      client_ip: input.clientIp ?? null,
      adapter: input.adapter ?? null,
      relying_party: input.relyingParty ?? null,
      challenge_id: input.challengeId ?? null,
      detail: input.detail ?? null,
    };
    await this.#insert.run(row);
    this.logger.info(
      {
        audit: {
          id: row.id,
          event: row.event,
          result: row.result,
          user: row.username,
          method: row.method,
          denyReason: row.deny_reason,
          adapter: row.adapter,
          relyingParty: row.relying_party,
          clientIp: row.client_ip,
        },
      },
      `audit ${row.event} ${row.result}`,
    );
  }
}
