/**
 * The UDP socket (RFC 2865: port 1812). At most `maxInFlight` requests are processed at once;
 * more are dropped and counted (the client retransmits), so a burst or a flood is bounded in
 * memory and in work. Every datagram goes through `handleDatagram`, which never throws.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { handleDatagram } from './access-request.js';
import type { ExchangeDeps } from './exchange.js';

export interface RadiusServer {
  socket: Socket;
  port: number;
  close(): Promise<void>;
  /** Resolves when no request is in flight (for a clean shutdown). */
  idle(): Promise<void>;
}

export async function startRadiusServer(deps: ExchangeDeps, listen: { host: string; port: number }): Promise<RadiusServer> {
  const socket = createSocket({ type: isIPv6(listen.host) ? 'udp6' : 'udp4' });
  const { stats } = deps;
  let waiters: Array<() => void> = [];
  socket.on('message', (datagram, rinfo) => {
    stats.received += 1;
    if (stats.inFlight >= deps.config.maxInFlight) {
      stats.dropped += 1;
      deps.logOnce('*', 'over-bound', { maxInFlight: deps.config.maxInFlight }, 'RADIUS requests over the in-flight bound dropped');
      return;
    }
    stats.inFlight += 1;
    stats.inFlightPeak = Math.max(stats.inFlightPeak, stats.inFlight);
    void handleDatagram(deps, datagram, { address: rinfo.address, port: rinfo.port }).then((reply) => {
      stats.inFlight -= 1;
      if (reply) {
        stats.answered += 1;
        socket.send(reply, rinfo.port, rinfo.address, (err) => {
          if (err) deps.log.warn({ err, to: `${rinfo.address}:${rinfo.port}` }, 'RADIUS reply not sent');
        });
      } else {
        stats.dropped += 1;
      }
      if (stats.inFlight === 0) {
        for (const w of waiters) w();
        waiters = [];
      }
    });
  });
  socket.on('error', (err) => deps.log.error({ err }, 'RADIUS socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(listen.port, listen.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    socket,
    port: socket.address().port,
    idle: () => (stats.inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
