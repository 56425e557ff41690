/**
 * One Access-Request and its answer. Each step is one small check in its own file under
 * `steps/`; the order is the table in `access-request.ts` (STYLE.md habit 1). A step goes on
 * (`next`), or ends the exchange: `drop` (RFC 2865: silently discard) or `answered` (a reply
 * was chosen in `reply`, or a cached one resent).
 */
import type { Logger } from 'pino';
import type { HostServices, UserRecord } from '../../src/sdk/adapter.js';
import type { RadiusClient, Clients } from './clients.js';
import type { RadiusConfig } from './config.js';
import type { DuplicateCache } from './duplicate-cache.js';
import type { ChallengeStates } from './challenge-states.js';
import type { PromptLocale } from './prompts.js';
import type { AccessRequest } from './wire/read-request.js';
import type { ReplyAttribute, ReplyCode } from './wire/write-reply.js';

export const ADAPTER_NAME = 'radius';
/** The challenge engine's channel name for challenges begun here. */
export const CHANNEL = 'radius';

export interface RadiusStats {
  received: number;
  answered: number;
  /** Discarded: malformed, unknown client, bad Message-Authenticator, over the in-flight bound. */
  dropped: number;
  duplicates: number;
  inFlight: number;
  inFlightPeak: number;
}

export interface ExchangeDeps {
  host: HostServices;
  config: RadiusConfig;
  clients: Clients;
  duplicates: DuplicateCache;
  states: ChallengeStates;
  log: Logger;
  stats: RadiusStats;
  /** Logs an event about a source address at most once a minute (an unknown client's flood). */
  logOnce(address: string, event: string, fields: Record<string, unknown>, message: string): void;
}

export type StepResult = 'next' | 'drop' | 'answered';
export type Step = (x: Exchange) => Promise<StepResult>;

export class Exchange {
  request!: AccessRequest;
  client!: RadiusClient;
  duplicateKey: string | null = null;
  /** The decoded User-Password (the password, or the code in a challenge round). */
  password = '';
  /** A code typed after the separator in the one-field form. */
  oneFieldCode: string | undefined;
  user: UserRecord | null = null;
  outsideMfaGroup = false;
  /** The client's group attributes the user qualifies for (decided at the password step). */
  groups: string[] = [];
  /** What to answer (set by the step that decides). */
  reply: { code: ReplyCode; attributes: ReplyAttribute[] } | null = null;
  /** A reply resent from the duplicate cache. */
  resent: Buffer | null = null;

  constructor(
    readonly deps: ExchangeDeps,
    readonly datagram: Buffer,
    readonly from: { address: string; port: number },
  ) {}

  get username(): string {
    return this.request.userName ?? '';
  }

  /** The client as the audit records it: the caller's station, else the NAS, else the sender. */
  get clientIp(): string {
    return this.request.callingStationId ?? this.request.nasIpAddress ?? this.from.address;
  }

  get locale(): PromptLocale {
    return this.client.config.locale;
  }

  get log(): Logger {
    return this.deps.log.child({
      from: `${this.from.address}:${this.from.port}`,
      client: this.client?.config.name,
      identifier: this.request?.identifier,
      nas: this.request?.nasIdentifier ?? this.request?.nasIpAddress ?? undefined,
      callingStationId: this.request?.callingStationId ?? undefined,
    });
  }
}
