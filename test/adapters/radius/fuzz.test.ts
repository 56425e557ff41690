/**
 * Malformed input never takes the server down (issue 22): 100,000 fuzzed datagrams (random
 * bytes, mutated valid requests, fuzzed lengths and attributes behind a valid
 * Message-Authenticator) go through the adapter's handler in process, a smaller sample through
 * the real UDP socket; then a well-formed request still gets its right answer. A packet that
 * made a step throw would show as the handler's "RADIUS request failed" error line: none may.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import radius from 'radius';
import { radiusAdapter, radiusConfigSchema } from '../../../adapters/radius/index.js';
import type { RadiusInstance } from '../../../adapters/radius/index.js';
import { buildAccessRequest } from '../../../adapters/radius/wire/build-request.js';
import { enrolTotp, radclient, radiusSection, SECRET, startRadiusHost, USERS, type RadiusHost } from './support.js';

const secret = Buffer.from(SECRET);

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzer(seed: number) {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  const randomDatagram = () => bytes(int(r() < 0.9 ? 120 : 5000));

  const mutatedRequest = () => {
    const p = Buffer.from(buildAccessRequest({ identifier: int(256), secret, userName: 'dave', state: bytes(16), attributes: [{ type: 31, value: Buffer.from('203.0.113.9') }] }));
    switch (int(5)) {
      case 0: // flip bits anywhere
        for (let i = 0, n = 1 + int(4); i < n; i++) p[int(p.length)] ^= 1 << int(8);
        return p;
      case 1: // the Length field lies
        p.writeUInt16BE(int(65536), 2);
        return p;
      case 2: // cut short, or padded with garbage
        return r() < 0.5 ? p.subarray(0, int(p.length)) : Buffer.concat([p, bytes(1 + int(64))]);
      case 3: // an attribute's length lies
        p[21 + 18 * int(2)] = int(256);
        return p;
      default: // another code
        p[0] = int(256);
        return p;
    }
  };

  /** Framing that holds, random attributes, and a valid Message-Authenticator: reaches the steps. */
  const fuzzedAttributes = () => {
    const attrs: Array<{ type: number; value: Buffer }> = [];
    for (let i = 0, n = int(8); i < n; i++) {
      const type = [1, 2, 3, 4, 24, 26, 31, 32, 33, 79, int(256)][int(11)]!;
      if (type === 80) continue;
      attrs.push({ type, value: bytes(1 + int(r() < 0.8 ? 40 : 253)) });
    }
    // A State keeps each case off the password check (a hash per case would take minutes).
    if (!attrs.some((a) => a.type === 24)) attrs.push({ type: 24, value: bytes(int(40) + 1) });
    const p = buildAccessRequest({ identifier: int(256), secret, attributes: attrs });
    return p;
  };

  return () => {
    const k = r();
    return k < 0.4 ? randomDatagram() : k < 0.97 ? mutatedRequest() : fuzzedAttributes();
  };
}

let h: RadiusHost;
let direct: RadiusInstance;
const TOTP = Buffer.from('12345678901234567890');

beforeAll(async () => {
  h = await startRadiusHost({ users: USERS, config: { logging: { level: 'info' } } });
  await enrolTotp(h, 'dave', TOTP);
  // A second instance of the adapter on the same host API, driven in process.
  direct = (await radiusAdapter.create(h.host.api, radiusConfigSchema.parse(radiusSection()))) as RadiusInstance;
}, 60_000);

afterAll(async () => {
  await direct?.close?.();
  await h?.close();
});

describe('malformed RADIUS packets', () => {
  it('100,000 fuzzed datagrams through the handler: none throws, none is answered unless it is a well-formed request', async () => {
    const next = fuzzer(22);
    let answered = 0;
    for (let i = 0; i < 100_000; i++) {
      const reply = await direct.handle(next(), { address: '127.0.0.1', port: 40000 + (i % 20000) });
      if (reply) {
        answered++;
        // Only Access-Reject can come out of a State nobody issued.
        expect(reply[0]).toBe(3);
      }
    }
    expect(answered).toBeGreaterThan(100);
    expect(h.logs.filter((l) => l.includes('RADIUS request failed'))).toEqual([]);
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', 'Message-Authenticator': '0x00' });
    expect(ok.code).toBe('Access-Challenge');
  }, 300_000);

  it('a sample through the real socket: the server keeps answering', async () => {
    const next = fuzzer(2865);
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 3000; i++) {
      socket.send(next(), h.port, '127.0.0.1');
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    // Also a datagram of the largest size UDP carries on loopback.
    socket.send(randomBytes(65_000), h.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    socket.close();
    const ok = await radclient(h.port, { 'User-Name': 'dave', 'User-Password': 'dave-password-1', 'Message-Authenticator': '0x00' });
    expect(ok.code).toBe('Access-Challenge');
    expect(h.logs.filter((l) => l.includes('RADIUS request failed'))).toEqual([]);
  }, 120_000);

  it('refuses a forged Message-Authenticator that the radius package\'s own check accepts', async () => {
    // The package compares the HMACs as UTF-8 strings: a lone 0x80 and a lone 0x81 both decode
    // to U+FFFD. Find a request whose MAC has such a byte, swap it, and ask both checks.
    const macOf = (p: Buffer) => createHmac('md5', secret).update(Buffer.concat([p.subarray(0, 22), Buffer.alloc(16), p.subarray(38)])).digest();
    const lone = (m: Buffer) => [...m.keys()].find((i) => m[i]! >= 0x80 && m[i]! <= 0xbf && (i === 0 || m[i - 1]! < 0x80) && (i === 15 || m[i + 1]! < 0x80));
    let good = buildAccessRequest({ identifier: 7, secret, userName: 'dave', state: randomBytes(16) });
    for (let i = 0; i < 1000 && lone(macOf(good)) === undefined; i++) good = buildAccessRequest({ identifier: 7, secret, userName: 'dave', state: randomBytes(16) });
    const mac = macOf(good);
    const at = lone(mac)!;
    expect(at).toBeDefined();
    const forged = Buffer.from(good);
    forged[22 + at] = mac[at] === 0x80 ? 0x81 : 0x80;
    expect(forged.equals(good)).toBe(false);
    expect(() => radius.decode({ packet: Buffer.from(forged), secret: SECRET })).not.toThrow();
    expect(await direct.handle(forged, { address: '127.0.0.1', port: 5000 })).toBeNull();
    expect(await direct.handle(good, { address: '127.0.0.1', port: 5001 })).not.toBeNull();
  });
});
