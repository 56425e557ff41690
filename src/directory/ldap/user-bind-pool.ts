/**
 * The connections the sign-in's "bind as the user" runs on, kept open between sign-ins. Opening
 * a connection cost about 1 ms of the 1.8 ms of server CPU an LDAP sign-in took; a simple bind on
 * a connection that is already open replaces its identity (RFC 4511 §4.2), so the password is
 * still proved the same way: the bind's own result is the check, and nothing else ever runs on
 * these connections (searches use the service connection).
 *
 * What keeps one user's check from touching another's:
 * - a connection is lent to one bind at a time and comes back only after that bind has answered;
 * - it comes back only when the server answered (success or a refusal such as result 49: after a
 *   refused bind the connection is anonymous, RFC 4511 §4.2.1); a timeout, a dropped connection or
 *   "busy/unavailable" closes it, so a late answer can never be read as the next bind's;
 * - an empty password never reaches the server (an unauthenticated bind, RFC 4513 §5.1.2);
 * - connections are opened as the service connection is (TLS, StartTLS, certificate checks, and
 *   no silent reconnect: connection.ts).
 * A kept connection that the server closed meanwhile (an idle limit, a restart) is noticed when it
 * is lent (`isConnected`) and replaced by a new one before the password is sent. A bind that was
 * sent and then lost its connection is never sent again: the server may have counted the attempt
 * (a wrong password would count twice towards the directory's lockout), so the failure goes to
 * the caller, which moves on to the next server as for any transport failure.
 */
import type { Client } from 'ldapts';
import { closeQuietly, isTransportFailure, openUnbound, type ConnectionSettings } from './connection.js';

/** Connections kept per server, idle; more binds at once open more, closed when they come back. */
const MAX_IDLE_PER_SERVER = 8;
/** An idle connection is closed after this long, so a quiet host holds no server resources. */
const IDLE_CLOSE_MS = 60_000;

interface Idle {
  client: Client;
  timer: NodeJS.Timeout;
}

export interface UserBindPoolStats {
  /** Connections opened since start. */
  opened: number;
  /** Connections idle now, all servers. */
  idle: number;
}

export class UserBindPool {
  readonly #conn: ConnectionSettings;
  readonly #idle = new Map<string, Idle[]>();
  #opened = 0;
  #closed = false;

  constructor(conn: ConnectionSettings) {
    this.#conn = conn;
  }

  /**
   * Binds as `dn` with `password` on a connection to `url`. Resolves when the server accepted
   * the bind; rejects with the server's refusal (an ldapts `ResultCodeError`) or with the
   * transport failure (see `isTransportFailure`).
   */
  async bind(url: string, dn: string, password: string): Promise<void> {
    if (password === '') throw new Error('an empty password would be an unauthenticated bind (RFC 4513 §5.1.2)');
    if (this.#closed) throw new Error('the user bind connections are closed');
    let client = this.#take(url);
    if (!client) {
      client = await openUnbound(url, this.#conn);
      this.#opened++;
    }
    await this.#bindOn(url, client, dn, password);
  }

  stats(): UserBindPoolStats {
    let idle = 0;
    for (const list of this.#idle.values()) idle += list.length;
    return { opened: this.#opened, idle };
  }

  /** Closes the idle connections; connections lent out are closed when they come back. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((i) => (clearTimeout(i.timer), closeQuietly(i.client))));
  }

  /** The bind on a lent connection; the connection comes back only if the server answered. */
  async #bindOn(url: string, client: Client, dn: string, password: string): Promise<void> {
    try {
      await client.bind(dn, password);
    } catch (err) {
      if (isTransportFailure(err)) void closeQuietly(client);
      else this.#give(url, client);
      throw err;
    }
    this.#give(url, client);
  }

  /** The most recently used idle connection to `url` that is still open. */
  #take(url: string): Client | undefined {
    const list = this.#idle.get(url);
    while (list && list.length > 0) {
      const idle = list.pop()!;
      clearTimeout(idle.timer);
      if (idle.client.isConnected) return idle.client;
      void closeQuietly(idle.client);
    }
    return undefined;
  }

  #give(url: string, client: Client): void {
    let list = this.#idle.get(url);
    if (!list) this.#idle.set(url, (list = []));
    if (this.#closed || list.length >= MAX_IDLE_PER_SERVER || !client.isConnected) {
      void closeQuietly(client);
      return;
    }
    const idle: Idle = {
      client,
      timer: setTimeout(() => {
        const at = list.indexOf(idle);
        if (at >= 0) list.splice(at, 1);
        void closeQuietly(client);
      }, IDLE_CLOSE_MS).unref(),
    };
    list.push(idle);
  }
}
