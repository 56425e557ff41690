/**
 * The running RADIUS adapter: its UDP socket, duplicate cache and challenge states around the
 * exchange. Loaded by index.ts only when `adapters.radius` is configured.
 */
import type { AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { duplicateWindowMs, stateLifetimeMs, type RadiusConfig } from './config.js';
import { Clients } from './clients.js';
import { DuplicateCache } from './duplicate-cache.js';
import { ChallengeStates } from './challenge-states.js';
import { ADAPTER_NAME, type ExchangeDeps, type RadiusStats } from './exchange.js';
import { startRadiusServer, type RadiusServer } from './server.js';
import { handleDatagram } from './access-request.js';

/** Largest number of retransmission keys kept (a reply is at most 4096 octets). */
const MAX_DUPLICATE_KEYS = 50_000;

export interface RadiusInstance extends AdapterInstance {
  /** The UDP port the socket got (listen.port 0 picks one). */
  port(): number;
  /** Counters since start (tests and the bench read them). */
  stats(): Readonly<RadiusStats>;
  /** One datagram through the same steps as the socket, without it (the fuzz test): the reply or null. */
  handle(datagram: Buffer, from: { address: string; port: number }): Promise<Buffer | null>;
}

/** `FACTORGATE_RADIUS_PORT` overrides `listen.port`, as FACTORGATE_PORT does the main port. */
function portOverride(fallback: number): number {
  const raw = process.env.FACTORGATE_RADIUS_PORT;
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`FACTORGATE_RADIUS_PORT: expected a port number, got "${raw}"`);
  return port;
}

export async function startRadius(host: HostApi, config: RadiusConfig): Promise<RadiusInstance> {
  const log = host.logger.child({ adapter: ADAPTER_NAME });
  const stats: RadiusStats = { received: 0, answered: 0, dropped: 0, duplicates: 0, inFlight: 0, inFlightPeak: 0 };
  const lastLogged = new Map<string, number>();
  const deps: ExchangeDeps = {
    host,
    config,
    clients: new Clients(config.clients),
    duplicates: new DuplicateCache(duplicateWindowMs(config), MAX_DUPLICATE_KEYS),
    states: new ChallengeStates(host.state, stateLifetimeMs(config)),
    log,
    stats,
    logOnce(address, event, fields, message) {
      const key = `${address}|${event}`;
      const now = host.clock.now();
      if ((lastLogged.get(key) ?? 0) > now - 60_000) return;
      if (lastLogged.size > 10_000) lastLogged.clear();
      lastLogged.set(key, now);
      log.warn({ ...fields, event }, message);
    },
  };
  const listen = { host: config.listen.host, port: portOverride(config.listen.port) };
  let server: RadiusServer | null = null;
  try {
    server = await startRadiusServer(deps, listen);
    log.info({ listen: `${listen.host}:${server.port}`, clients: config.clients.map((c) => c.name) }, 'RADIUS listening (UDP)');
  } catch (err) {
    if (config.listen.required) throw err;
    // The demo: another host (or a test run) on this machine holds 1812; the rest still starts.
    log.warn({ err, listen: `${listen.host}:${listen.port}` }, 'RADIUS port busy: running without RADIUS (set FACTORGATE_RADIUS_PORT to another port)');
  }

  return {
    async resume() {
      // Challenges begun here run on the engine's headless channel: their outcome comes back
      // as the answer to `challenges.headless.*`, never through a browser and `resume`.
      throw new Error('the radius adapter begins only headless challenges');
    },
    port: () => server?.port ?? 0,
    stats: () => ({ ...stats }),
    handle: (datagram, from) => handleDatagram(deps, datagram, from),
    links() {
      const port = server?.port;
      if (port === undefined) return [];
      return config.clients
        .filter((c) => c.demo)
        .map((c) => ({
          label: `RADIUS (client ${c.name})`,
          url: `udp://${listen.host}:${port}`,
          note: `shared secret ${c.secret}; try: echo "User-Name=alice,User-Password=PASSWORD,Message-Authenticator=0x00" | radclient -x ${listen.host}:${port} auth ${c.secret}`,
        }));
    },
    async close() {
      if (!server) return;
      await server.close();
      await server.idle();
      log.info({ stats }, 'RADIUS stopped');
    },
  };
}
