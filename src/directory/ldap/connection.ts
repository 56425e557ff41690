/**
 * Opening one LDAP connection: TCP or TLS, optional StartTLS, optional bind. A `Client` here is
 * exactly one TCP connection. ldapts would otherwise reconnect by itself after the server
 * dropped the socket, silently *unbound* (RFC 4513 §5.1.1: a fresh connection is anonymous),
 * and a service search would then run anonymously; instead a lost connection fails, and the
 * caller fails over to the next server.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';

export interface ConnectionSettings {
  tls: {
    ca?: string | undefined;
    startTls: boolean;
    rejectUnauthorized: boolean;
    servername?: string | undefined;
  };
  timeouts: { connectMs: number; operationMs: number };
}

/** RFC 4511 §4.1.9: busy (51) and unavailable (52) mean "try another server". */
const SERVER_SIDE_OUTAGE = new Set([51, 52]);

/** True when the failure is about reaching the server, not about what was asked. */
export function isTransportFailure(err: unknown): boolean {
  if (err instanceof ResultCodeError) return SERVER_SIDE_OUTAGE.has(err.code);
  return true;
}

export function describeError(err: unknown): string {
  if (err instanceof ResultCodeError) return `LDAP result ${err.code}: ${err.message}`;
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code}: ${err.message}` : err.message;
  return String(err);
}

function hostOf(url: string): string {
  const u = new URL(url);
  return u.hostname.replace(/^\[|\]$/g, '');
}

function tlsOptions(url: string, settings: ConnectionSettings): tls.ConnectionOptions {
  const host = settings.tls.servername ?? hostOf(url);
  const options: tls.ConnectionOptions = {
    rejectUnauthorized: settings.tls.rejectUnauthorized,
    minVersion: 'TLSv1.2',
    // With StartTLS Node has no host to check the certificate against (the socket already
    // exists), so name it explicitly; RFC 6066 §3 forbids an IP address as the SNI name.
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
  };
  if (!net.isIP(host)) options.servername = host;
  if (settings.tls.ca !== undefined) options.ca = settings.tls.ca;
  return options;
}

/** A connect function that works once: a second call means the first connection was lost. */
function once<F extends (...args: never[]) => unknown>(connect: F): F {
  let used = false;
  return ((...args: Parameters<F>) => {
    if (used) throw new Error('connection to the directory was lost');
    used = true;
    return connect(...args);
  }) as F;
}

export interface BindCredentials {
  dn: string;
  password: string;
}

/**
 * A client for one connection to `url`, upgraded with StartTLS when configured, not bound: on a
 * plain or ldaps:// URL the TCP (TLS) connection opens with the first operation.
 */
export async function openUnbound(url: string, settings: ConnectionSettings): Promise<Client> {
  const secure = /^ldaps:/i.test(url);
  const options = tlsOptions(url, settings);
  const client = new Client({
    url,
    timeout: settings.timeouts.operationMs,
    connectTimeout: settings.timeouts.connectMs,
    // ldapts treats any tlsOptions as "connect with TLS", so plain URLs get none (StartTLS
    // receives them when upgrading).
    ...(secure
      ? { tlsOptions: options, createSecureConnection: once(tls.connect) as typeof tls.connect }
      : { createConnection: once(net.connect) as typeof net.connect }),
  });
  if (!secure && settings.tls.startTls) {
    try {
      await client.startTLS({ ...options });
    } catch (err) {
      await closeQuietly(client);
      throw err;
    }
  }
  return client;
}

/**
 * Connects (with StartTLS when configured) and binds. Without credentials it reads the root DSE
 * instead, so an unreachable server is detected here and not on first use.
 */
export async function openConnection(url: string, settings: ConnectionSettings, credentials?: BindCredentials): Promise<Client> {
  const client = await openUnbound(url, settings);
  try {
    if (credentials) {
      await client.bind(credentials.dn, credentials.password);
    } else {
      await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
    }
    return client;
  } catch (err) {
    await closeQuietly(client);
    throw err;
  }
}

export async function closeQuietly(client: Client | undefined): Promise<void> {
  if (!client) return;
  try {
    if (client.isConnected) await client.unbind();
  } catch {
    // The connection is going away either way.
  }
}
