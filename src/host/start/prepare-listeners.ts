import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type express from 'express';
import { startDirectorySync } from '../../directory/sync.js';
import { durationToMs } from '../../kit/durations.js';
import type { StartStep } from './start-context.js';

/** Listeners open only on `listen()`; at close they refuse new connections, let in-flight requests finish, then cut the rest at the deadline. */
export const prepareListeners: StartStep = (ctx) => {
  const { config, logger, instances } = ctx;
  let servers: Server[] = [];
  let stopSync: (() => Promise<void>) | undefined;
  const serve = (app: express.Express): Server => {
    const server = config.server.tls ? createHttps({ cert: config.server.tls.cert, key: config.server.tls.key }, app) : createHttp(app);
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    return server;
  };
  const bind = (server: Server, port: number, host: string) =>
    new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });

  ctx.listen = async () => {
    const server = serve(ctx.app);
    server.on('upgrade', (req, socket, head) => {
      for (const inst of instances.values()) if (inst.interceptUpgrade?.(req, socket, head)) return;
      socket.destroy();
    });
    await bind(server, config.server.port, config.server.host);
    servers = [server];
    if (ctx.consoleApp && config.admin.listen) {
      const consoleServer = serve(ctx.consoleApp);
      await bind(consoleServer, config.admin.listen.port, config.admin.listen.host);
      servers.push(consoleServer);
      logger.info({ address: consoleServer.address() }, 'admin console listening on its own address (admin.listen)');
    }
    // The scheduled re-import runs once per host: among workers, in slot 1 only.
    if (config.directory.type === 'ldap' && config.directory.sync.interval && (ctx.worker?.runsHostWideTasks ?? true)) {
      stopSync = startDirectorySync({ directory: ctx.directory, db: ctx.store.db, clock: ctx.clock, intervalMs: durationToMs(config.directory.sync.interval), logger, source: ctx.directory.kind });
    }
    for (const inst of instances.values()) for (const s of inst.servers?.() ?? []) servers.push(s);
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
    return { url: `${config.server.tls ? 'https' : 'http'}://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}`, server };
  };
  ctx.links = () => [...instances.values()].flatMap((inst) => inst.links?.() ?? []);

  return async () => {
    await stopSync?.();
    const deadline = config.server.shutdownTimeoutSeconds * 1000;
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => {
              s.closeAllConnections();
            }, deadline);
            timer.unref();
            s.close(() => {
              clearTimeout(timer);
              done();
            });
            s.closeIdleConnections();
          }),
      ),
    );
  };
};
