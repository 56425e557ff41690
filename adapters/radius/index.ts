/**
 * The RADIUS adapter (RFC 2865, PAP with Access-Challenge; RFC 3579 Message-Authenticator):
 * VPN concentrators, RD Gateway (through NPS) and network devices send the user's password,
 * factorgate checks it against the directory, then asks for the second factor with an
 * Access-Challenge, or takes `password,code` in one field, or an app password. The second
 * factor goes through the host's challenge engine on its headless channel: the same lockout,
 * factors, audit and metrics as the page. See README.md.
 */
import type { AdapterDefinition, AdapterInstance, HostApi } from '../../src/sdk/adapter.js';
import { duplicateWindowMs, radiusConfigSchema, stateLifetimeMs, type RadiusConfig } from './config.js';
import { Clients } from './clients.js';
import { DuplicateCache } from './duplicate-cache.js';
import { ChallengeStates } from './challenge-states.js';
import { ADAPTER_NAME, type ExchangeDeps, type RadiusStats } from './exchange.js';
import { startRadiusServer, type RadiusServer } from './server.js';
import { handleDatagram } from './access-request.js';
import { demoSecret } from './demo-secret.js';

export { radiusConfigSchema, type RadiusConfig } from './config.js';
export { ADAPTER_NAME } from './exchange.js';

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

export async function createRadius(host: HostApi, config: RadiusConfig): Promise<RadiusInstance> {
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

export const radiusAdapter: AdapterDefinition<RadiusConfig> = {
  name: ADAPTER_NAME,
  configKey: 'radius',
  hostApi: '^2.0',
  configSchema: radiusConfigSchema,
  mountPath: '/radius',
  create: createRadius,
  demoConfig(ctx) {
    return {
      listen: { host: '127.0.0.1', port: 1812, required: false },
      clients: [{ name: 'demo', addresses: ['127.0.0.1'], secret: demoSecret(ctx.dataDir), demo: true, requireMessageAuthenticator: true }],
    };
  },
};

export default radiusAdapter;
