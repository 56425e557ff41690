/**
 * `Directory` over LDAP (Active Directory, OpenLDAP, Samba): sign-in by "search, then bind as
 * the user", user lookup, and a paged listing for import.
 *
 * Servers are tried in the configured order; the service connection stays on the server that
 * answered until it fails, then the list is walked again from the top, so the first server is
 * used again as soon as it is back. When no server answers, every operation throws
 * `DIRECTORY_UNAVAILABLE` (503) and nothing crashes; the next call tries again.
 */
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError, type Client, type Entry } from 'ldapts';
import type { AuthenticationResult, Directory, DirectoryRow, DirectoryUser, ListOptions } from '../directory.js';
import { FactorgateError } from '../../kit/errors.js';
import { systemClock, type Clock } from '../../kit/clock.js';
import type { LdapDirectoryConfig } from './config.js';
import { resolveLdapSettings, type ResolvedLdapSettings } from './settings.js';
import { closeQuietly, describeError, isTransportFailure, openConnection, type BindCredentials, type ConnectionSettings } from './connection.js';
import { UserBindPool, type UserBindPoolStats } from './user-bind-pool.js';
import { andFilters, escapeFilterValue, parenthesise } from './escape-filter.js';
import { binaryAttributes, mapEntry, requestedAttributes, rowAttributes } from './map-entry.js';
import { listInWorker } from './list-in-worker.js';
import { SearchEntryRows } from './search-entry-rows.js';
import { pagedRowSearch } from './paged-row-search.js';
import { tapSearchEntries } from './search-entry-tap.js';

/** Longer sign-in names are refused before reaching the directory (AD's UPN limit is 1024). */
const MAX_USERNAME_LENGTH = 1024;

/**
 * AD's bind diagnostics (MS-ADTS §3.1.1.3.1.1; "data 533" in the error text). AD only reports
 * these sub-codes when the password itself was right, so they do not reveal anything to a
 * guesser: 533 account disabled, 701 account expired, 775 account locked out.
 */
const AD_ACCOUNT_STATE = /\bdata (533|701|775)\b/i;

export interface LdapDirectoryOptions {
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  /** `list()` decodes and maps on a worker thread (list-in-worker.ts). Default true. */
  listInWorker?: boolean | undefined;
}

interface Live {
  client: Client;
  url: string;
}

interface ServiceSlot {
  connecting: Promise<Live>;
  live?: Live;
  since: number;
}

type BindOutcome = { ok: true } | { ok: false; accountState: boolean; detail: string };

export class LdapDirectory implements Directory {
  readonly kind = 'ldap';
  readonly #s: ResolvedLdapSettings;
  /** The settings as given, for the listing's worker thread. */
  readonly #given: ResolvedLdapSettings;
  readonly #listInWorker: boolean;
  readonly #conn: ConnectionSettings;
  readonly #log: Logger;
  readonly #serviceCredentials: BindCredentials | undefined;
  readonly #attributes: string[];
  /** What a store row needs (the import's listing): no groups, password date or extras. */
  readonly #rowAttributes: string[];
  readonly #binary: string[];
  #service: ServiceSlot | null = null;
  /** The user binds' connections, kept between sign-ins (user-bind-pool.ts). */
  readonly #userBinds: UserBindPool;
  readonly #clock: Clock;
  /** Last known state, so outages and recoveries are logged once, not per request. */
  #reachable: boolean | null = null;
  #closed = false;

  /** Builds the directory from the parsed `directory` section (reads `tls.caFile`). */
  static fromConfig(config: LdapDirectoryConfig, options: LdapDirectoryOptions = {}): LdapDirectory {
    const settings = resolveLdapSettings(config);
    if (config.tls.caFile !== undefined) {
      settings.tls = { ...settings.tls, ca: readFileSync(config.tls.caFile, 'utf8') };
    }
    return new LdapDirectory(settings, options);
  }

  constructor(settings: ResolvedLdapSettings, options: LdapDirectoryOptions = {}) {
    this.#s = {
      ...settings,
      userFilter: parenthesise(settings.userFilter),
      groupFilter: settings.groupFilter === undefined ? undefined : parenthesise(settings.groupFilter),
    };
    this.#given = settings;
    this.#listInWorker = options.listInWorker ?? true;
    this.#conn = { tls: settings.tls, timeouts: settings.timeouts };
    this.#userBinds = new UserBindPool(this.#conn);
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? pino({ enabled: false })).child({ component: 'directory', directory: 'ldap' });
    this.#serviceCredentials =
      settings.bindDn !== undefined ? { dn: settings.bindDn, password: settings.bindPassword ?? '' } : undefined;
    this.#attributes = requestedAttributes(settings.attributes, settings.extraAttributes);
    this.#rowAttributes = rowAttributes(settings.attributes);
    this.#binary = binaryAttributes(settings.attributes);
  }

  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    // RFC 4513 §5.1.2: a simple bind with a DN and an empty password is an "unauthenticated
    // bind" that many servers answer with success. It must never reach the server.
    if (password === '') return { ok: false, reason: 'EMPTY_PASSWORD' };
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
      return { ok: false, reason: 'INVALID_CREDENTIALS' };
    }
    const { entries, url } = await this.#searchLogin(username);
    if (entries.length !== 1) {
      if (entries.length > 1) this.#log.warn({ username, matches: entries.length }, 'sign-in name matches several directory entries; refused');
      // Unknown users cost a bind too, so the answer time does not tell who exists.
      await this.#bindAs(this.#decoyDn(), password, url).catch(() => undefined);
      return { ok: false, reason: 'INVALID_CREDENTIALS' };
    }
    const entry = entries[0]!;
    const user = mapEntry(entry, this.#s.attributes, this.#s.extraAttributes);
    const outcome = await this.#bindAs(entry.dn, password, url);
    if (!user) {
      this.#log.warn({ dn: entry.dn }, 'directory entry lacks the id or sign-in name attribute; refused');
      return { ok: false, reason: 'INVALID_CREDENTIALS' };
    }
    if (!outcome.ok) {
      if (outcome.accountState) return { ok: false, reason: 'USER_DISABLED' };
      this.#log.debug({ dn: entry.dn, detail: outcome.detail }, 'bind refused');
      return { ok: false, reason: 'INVALID_CREDENTIALS' };
    }
    // A server may accept the password of an account it flags as disabled (OpenLDAP knows no
    // userAccountControl); the flag still denies.
    if (user.disabled) return { ok: false, reason: 'USER_DISABLED' };
    return { ok: true, user: await this.#withGroup(entry.dn, user) };
  }

  async find(username: string): Promise<DirectoryUser | null> {
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const { entries } = await this.#searchLogin(username);
    if (entries.length !== 1) return null;
    const user = mapEntry(entries[0]!, this.#s.attributes, this.#s.extraAttributes);
    return user ? this.#withGroup(entries[0]!.dn, user) : null;
  }

  /**
   * Marks a user the group filter leaves out (issue 26 item 8): the entry is read again at its
   * own DN (base scope) with the user and group filters, so the server evaluates the filter
   * exactly as the import's listing does (nested-group rules included). Asked only once the
   * password was right, so it tells a guesser nothing.
   */
  async #withGroup(dn: string, user: DirectoryUser): Promise<DirectoryUser> {
    if (this.#s.groupFilter === undefined) return user;
    const filter = andFilters(this.#s.userFilter, this.#s.groupFilter);
    const inGroup = await this.#withService('check group', async (client) => {
      const { searchEntries } = await client.search(dn, { scope: 'base', filter, attributes: ['1.1'] });
      return searchEntries.length === 1;
    });
    return inGroup ? user : { ...user, outsideMfaGroup: true };
  }

  /**
   * Streams every user in scope, one page in memory at a time (RFC 2696 paged results), over a
   * connection of its own: a paging cookie is only valid on the connection that issued it, so
   * a listing cut off by an outage fails with DIRECTORY_UNAVAILABLE instead of resuming
   * elsewhere. Entries without an id or sign-in name are skipped and logged. By default this
   * runs on a worker thread (list-in-worker.ts), a page of users per message.
   */
  async *list(options: ListOptions = {}): AsyncGenerator<DirectoryUser> {
    this.#assertOpen();
    const pages = this.#listInWorker ? listInWorker(this.#given, options, 'users', options.pageSize ?? this.#s.pageSize, this.#log) : this.#pages(options);
    for await (const page of pages) yield* page;
  }

  /**
   * `list()`'s users as store rows, a page at a time (see `Directory.listRows`): on the worker
   * thread, the rows are built there and cross as one JSON string per page. The entries are
   * read as rows straight from the search's bytes (search-entry-rows.ts), not through ldapts's
   * entry objects.
   */
  async *listRows(options: ListOptions = {}): AsyncGenerator<DirectoryRow[]> {
    this.#assertOpen();
    if (this.#listInWorker) {
      yield* listInWorker(this.#given, options, 'rows', options.pageSize ?? this.#s.pageSize, this.#log);
      return;
    }
    yield* this.#rowPages(options);
  }

  /**
   * The in-thread listing as store rows: entries read straight from the socket's bytes
   * (search-entry-rows.ts), one page of rows per server page.
   */
  async *#rowPages(options: ListOptions): AsyncGenerator<DirectoryRow[]> {
    const bases = options.base !== undefined ? [options.base] : this.#s.baseDns;
    const search = {
      filter: andFilters(this.#s.userFilter, this.#s.groupFilter),
      attributes: this.#rowAttributes,
      explicitBufferAttributes: this.#binary,
      pageSize: options.pageSize ?? this.#s.pageSize,
      maxEntries: this.#s.maxListEntries,
    };
    const live = await this.#connectInOrder(0, 'list users');
    // Installed for the connection's whole life and removed only after it is closed: no byte of
    // this connection ever reaches ldapts's entry parser (search-entry-tap.ts).
    const tap = tapSearchEntries(live.client, new SearchEntryRows(this.#s.attributes));
    let skipped = 0;
    const skip = (dn: string): void => {
      skipped++;
      this.#log.warn({ dn }, 'directory entry lacks the id or sign-in name attribute; skipped');
    };
    try {
      for (const base of bases) {
        try {
          for await (const page of pagedRowSearch(live.client, base, search, tap)) {
            const rows: DirectoryRow[] = [];
            for (const { row, dn } of page.rows) {
              if (row) rows.push(row);
              else skip(dn ?? '');
            }
            if (rows.length > 0) yield rows;
          }
        } catch (err) {
          throw this.#searchFailure(err, live.url, `list users below ${base}`);
        }
      }
    } finally {
      await closeQuietly(live.client);
      tap.remove();
      if (skipped > 0) this.#log.warn({ skipped }, 'directory entries skipped during listing');
    }
  }

  /** The in-thread listing: one page of mapped users per server page. */
  async *#pages(options: ListOptions, attributes = this.#attributes): AsyncGenerator<DirectoryUser[]> {
    const bases = options.base !== undefined ? [options.base] : this.#s.baseDns;
    const pageSize = options.pageSize ?? this.#s.pageSize;
    const filter = andFilters(this.#s.userFilter, this.#s.groupFilter);
    const live = await this.#connectInOrder(0, 'list users');
    let skipped = 0;
    try {
      for (const base of bases) {
        const pages = live.client.searchPaginated(base, {
          scope: 'sub',
          filter,
          attributes,
          explicitBufferAttributes: this.#binary,
          paged: { pageSize },
        });
        try {
          for await (const page of pages) {
            const users: DirectoryUser[] = [];
            for (const entry of page.searchEntries) {
              const user = mapEntry(entry, this.#s.attributes, this.#s.extraAttributes);
              if (user) users.push(user);
              else {
                skipped++;
                this.#log.warn({ dn: entry.dn }, 'directory entry lacks the id or sign-in name attribute; skipped');
              }
            }
            if (users.length > 0) yield users;
          }
        } catch (err) {
          throw this.#searchFailure(err, live.url, `list users below ${base}`);
        }
      }
    } finally {
      await closeQuietly(live.client);
      if (skipped > 0) this.#log.warn({ skipped }, 'directory entries skipped during listing');
    }
  }

  async ping(): Promise<void> {
    await this.#withService('ping', async (client) => {
      await client.search(this.#s.baseDns[0]!, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
    });
  }

  /** Connections the user binds opened since start, and those idle now (user-bind-pool.ts). */
  userBindStats(): UserBindPoolStats {
    return this.#userBinds.stats();
  }

  /** URL of the server the service connection uses now, if any (for health details). */
  get server(): string | undefined {
    return this.#service?.live?.url;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const service = this.#service;
    this.#service = null;
    await this.#userBinds.close();
    if (service) await closeQuietly(await service.connecting.then((l) => l.client, () => undefined));
  }

  // ---------------------------------------------------------------------------------------------

  /** Users by sign-in name, in the group or not: the group is checked after the password. */
  #loginFilter(username: string): string {
    const value = escapeFilterValue(username);
    const any = this.#s.loginAttributes.map((a) => `(${a}=${value})`);
    return andFilters(this.#s.userFilter, any.length === 1 ? any[0] : `(|${any.join('')})`);
  }

  async #searchLogin(username: string): Promise<{ entries: Entry[]; url: string }> {
    const filter = this.#loginFilter(username);
    return this.#withService('find user', async (client, url) => {
      const entries: Entry[] = [];
      for (const base of this.#s.baseDns) {
        try {
          const { searchEntries } = await client.search(base, {
            scope: 'sub',
            filter,
            attributes: this.#attributes,
            explicitBufferAttributes: this.#binary,
            // Two are enough to tell "exactly one" from "ambiguous".
            sizeLimit: 2,
          });
          entries.push(...searchEntries);
        } catch (err) {
          if (err instanceof ResultCodeError && err.code === 4) {
            entries.push({ dn: '' }, { dn: '' });
          } else throw err;
        }
        if (entries.length > 1) break;
      }
      return { entries, url };
    });
  }

  /** A DN that names nobody, for the decoy bind. */
  #decoyDn(): string {
    return `cn=factorgate-no-such-user,${this.#s.baseDns[0]!}`;
  }

  /**
   * Binds as the user on a connection of the user-bind pool, never on the service connection,
   * which keeps its own identity. The server that just answered the search is tried first, then
   * the others in order.
   */
  async #bindAs(dn: string, password: string, preferredUrl: string): Promise<BindOutcome> {
    const order = [preferredUrl, ...this.#s.urls.filter((u) => u !== preferredUrl)];
    const failures: string[] = [];
    let lastError: unknown;
    for (const url of order) {
      try {
        await this.#userBinds.bind(url, dn, password);
        return { ok: true };
      } catch (err) {
        if (!isTransportFailure(err)) {
          const detail = describeError(err);
          const accountState = err instanceof InvalidCredentialsError && AD_ACCOUNT_STATE.test(err.message);
          return { ok: false, accountState, detail };
        }
        lastError = err;
        failures.push(`${url}: ${describeError(err)}`);
      }
    }
    throw this.#unavailable('bind', failures, lastError);
  }

  /** Runs `fn` on the service connection; on a lost connection reconnects once, in order. */
  async #withService<T>(what: string, fn: (client: Client, url: string) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const failures: string[] = [];
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      const live = await this.#liveService(what);
      try {
        const result = await fn(live.client, live.url);
        this.#markReachable(live.url);
        return result;
      } catch (err) {
        if (!isTransportFailure(err)) throw this.#searchFailure(err, live.url, what);
        lastError = err;
        failures.push(`${live.url}: ${describeError(err)}`);
        this.#dropService(live);
      }
    }
    throw this.#unavailable(what, failures, lastError);
  }

  #liveService(what: string): Promise<Live> {
    const current = this.#service?.live;
    if (current && current.url !== this.#s.urls[0] && this.#clock.now() - this.#service!.since >= this.#s.timeouts.retryPrimaryMs) {
      // Back to the preferred servers once in a while: a host must not stay on a distant
      // fallback for ever after a short outage of its first server.
      this.#log.info({ from: current.url }, 'trying the preferred directory servers again');
      this.#service = null;
      // Requests still running on the old connection get the time they are allowed.
      setTimeout(() => void closeQuietly(current.client), this.#s.timeouts.operationMs).unref();
    }
    if (!this.#service) {
      const slot: ServiceSlot = { connecting: this.#connectInOrder(0, what), since: this.#clock.now() };
      this.#service = slot;
      slot.connecting.then(
        (live) => {
          slot.live = live;
        },
        () => {
          if (this.#service === slot) this.#service = null;
        },
      );
    }
    return this.#service.connecting;
  }

  #dropService(live: Live): void {
    if (this.#service?.live === live) this.#service = null;
    void closeQuietly(live.client);
  }

  /** Opens a service connection to the first server that answers and accepts the service bind. */
  async #connectInOrder(start: number, what: string): Promise<Live> {
    const failures: string[] = [];
    let lastError: unknown;
    let refusedBinds = 0;
    for (const url of this.#s.urls.slice(start)) {
      try {
        const client = await openConnection(url, this.#conn, this.#serviceCredentials);
        if (failures.length > 0) this.#log.warn({ url, failures }, 'using a fallback directory server');
        this.#markReachable(url);
        return { client, url };
      } catch (err) {
        lastError = err;
        // A refused service bind is a configuration problem, reported as such in the detail;
        // another server may still accept it (a replica with a different account state).
        const prefix = err instanceof InvalidCredentialsError ? 'service bind refused: ' : '';
        if (err instanceof InvalidCredentialsError) refusedBinds++;
        failures.push(`${url}: ${prefix}${describeError(err)}`);
      }
    }
    // Every server answered, and refused the service account: not an outage but a wrong bind
    // password or DN, and the operator should read that rather than "no server answered".
    const advice =
      failures.length > 0 && refusedBinds === failures.length
        ? 'every server refused the service account (LDAP result 49: the bind password or DN is wrong; check directory.bindDn and directory.bindPassword or bindPasswordFile, or run factorgate check-config --connect)'
        : undefined;
    throw this.#unavailable(what, failures, lastError, advice);
  }

  #searchFailure(err: unknown, url: string, what: string): FactorgateError {
    if (err instanceof FactorgateError) return err;
    if (isTransportFailure(err)) return this.#unavailable(what, [`${url}: ${describeError(err)}`], err);
    if (err instanceof NoSuchObjectError) {
      return new FactorgateError('CONFIG_INVALID', { detail: `directory: ${what}: base DN does not exist (${describeError(err)})`, cause: err });
    }
    return new FactorgateError('DIRECTORY_UNAVAILABLE', { detail: `${what} on ${url} failed: ${describeError(err)}`, cause: err });
  }

  #unavailable(what: string, failures: string[], cause: unknown, advice?: string): FactorgateError {
    const detail = `${what}: ${advice ?? 'no directory server answered'} (${failures.join('; ') || 'no servers'})`;
    if (this.#reachable !== false) this.#log.error({ failures }, 'directory unavailable');
    this.#reachable = false;
    return new FactorgateError('DIRECTORY_UNAVAILABLE', { detail, cause });
  }

  #markReachable(url: string): void {
    if (this.#reachable === false) this.#log.info({ url }, 'directory reachable again');
    this.#reachable = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new FactorgateError('DIRECTORY_UNAVAILABLE', { detail: 'the directory was closed' });
  }
}
