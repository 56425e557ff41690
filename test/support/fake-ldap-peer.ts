/**
 * A TCP peer speaking just enough LDAP (RFC 4511) to play a broken or hostile directory server
 * over real sockets: it answers a bind with success, hands each search request to the test's
 * `search` callback (which writes whatever bytes it likes), and closes on an unbind.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BerReader } from 'ldapts';

export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const header =
    n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : n < 0x10000 ? [tag, 0x82, n >> 8, n & 0xff] : [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
}
export const octets = (v: string | Buffer): Buffer => tlv(0x04, typeof v === 'string' ? Buffer.from(v) : v);
export const message = (id: number, op: Buffer, controls?: Buffer): Buffer =>
  tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), op, ...(controls ? [tlv(0xa0, controls)] : [])]));
export const result = (tag: number): Buffer => tlv(tag, Buffer.concat([tlv(0x0a, Buffer.from([0])), octets(''), octets('')]));

/** A SearchResultDone with success, carrying an RFC 2696 paged-results control with `cookie` when given. */
export function done(id: number, cookie?: Buffer): Buffer {
  if (cookie === undefined) return message(id, result(0x65));
  const value = tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([0])), octets(cookie)]));
  return message(id, result(0x65), tlv(0x30, Buffer.concat([octets('1.2.840.113556.1.4.319'), octets(value)])));
}

/** An AD-like user entry (objectGUID, sAMAccountName, mail), with `extra` attributes after them. */
export function entry(id: number, n: number, extra: [string, Buffer][] = []): Buffer {
  const attrs: [string, string | Buffer][] = [['objectGUID', Buffer.alloc(16, n)], ['sAMAccountName', `user${n}`], ['mail', `user${n}@corp.example`], ...extra];
  const list = Buffer.concat(attrs.map(([type, value]) => tlv(0x30, Buffer.concat([octets(type), tlv(0x31, octets(value))]))));
  return message(id, tlv(0x64, Buffer.concat([octets(`CN=user${n},DC=corp,DC=example`), tlv(0x30, list)])));
}

export interface SearchCall {
  /** The search request's message id. */
  id: number;
  /** How many searches this connection has received before this one. */
  n: number;
  socket: Socket;
}

export interface FakeLdapPeer {
  server: Server;
  url: string;
  /** Connections that have closed (from either side). */
  closed: () => number;
  close: () => Promise<void>;
}

export function fakeLdapPeer(search: (call: SearchCall) => void): Promise<FakeLdapPeer> {
  let closed = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    let n = 0;
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const reader = new BerReader(pending);
        if (reader.readSequence() === null || reader.remain < reader.length) return;
        const end = reader.offset + reader.length;
        const id = reader.readInt()!;
        const op = reader.peek();
        pending = pending.subarray(end);
        if (op === 0x60) socket.write(message(id, result(0x61)));
        else if (op === 0x63) search({ id, n: n++, socket });
        else if (op === 0x42) socket.end();
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}`,
        closed: () => closed,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}
