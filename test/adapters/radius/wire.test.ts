/**
 * The wire code against RFC 2865 §7.1's worked example (NAS 192.168.1.16, secret "xyzzy5461",
 * user nemo, password "arctangent") and against its own encoder; the `radius` package's
 * reply encoding against the example's Response Authenticator.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import radius from 'radius';
import { readFraming } from '../../../adapters/radius/wire/packet-format.js';
import { readAccessRequest } from '../../../adapters/radius/wire/read-request.js';
import { decodeUserPassword, encodeUserPassword } from '../../../adapters/radius/wire/user-password.js';
import { checkRequestMessageAuthenticator } from '../../../adapters/radius/wire/message-authenticator.js';
import { buildAccessRequest } from '../../../adapters/radius/wire/build-request.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SECRET = Buffer.from('xyzzy5461');
// RFC 2865 §7.1, Access-Request.
const REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
  01 10 05 06 00 00 00 03`);
// RFC 2865 §7.1, the Access-Accept's Response Authenticator.
const RESPONSE_AUTHENTICATOR = hex('86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2');

describe('RADIUS wire format', () => {
  it('reads RFC 2865 §7.1\'s Access-Request and recovers its User-Password', () => {
    const r = readAccessRequest(REQUEST);
    if ('problem' in r) throw new Error(r.problem);
    expect(r.userName).toBe('nemo');
    expect(r.nasIpAddress).toBe('192.168.1.16');
    expect(decodeUserPassword(r.userPasswordCipher!, SECRET, r.authenticator)).toBe('arctangent');
    expect(encodeUserPassword('arctangent', SECRET, r.authenticator).equals(r.userPasswordCipher!)).toBe(true);
    expect(checkRequestMessageAuthenticator(r.framed, SECRET)).toBe('absent');
  });

  it('the radius package\'s reply encoding gives RFC 2865 §7.1\'s Response Authenticator', () => {
    const accept = radius.encode({
      code: 'Access-Accept',
      identifier: 0,
      authenticator: REQUEST.subarray(4, 20),
      secret: 'xyzzy5461',
      attributes: [[6, Buffer.from('00000001', 'hex')], [15, Buffer.from('00000000', 'hex')], [14, Buffer.from('c0a80103', 'hex')]],
      add_message_authenticator: false,
    });
    expect(accept.subarray(4, 20).equals(RESPONSE_AUTHENTICATOR)).toBe(true);
  });

  it('round-trips passwords of every length up to 128 octets, and refuses impossible ones', () => {
    for (const len of [0, 1, 15, 16, 17, 31, 32, 100, 128]) {
      const pw = 'é'.repeat(Math.floor(len / 2)) + 'x'.repeat(len % 2);
      const auth = randomBytes(16);
      expect(decodeUserPassword(encodeUserPassword(pw, SECRET, auth), SECRET, auth)).toBe(pw);
    }
    expect(decodeUserPassword(Buffer.alloc(15), SECRET, randomBytes(16))).toBeNull();
    expect(decodeUserPassword(Buffer.alloc(144), SECRET, randomBytes(16))).toBeNull();
    expect(decodeUserPassword(Buffer.alloc(20), SECRET, randomBytes(16))).toBeNull();
  });

  it('checks the Message-Authenticator: valid, one flipped bit invalid, a second one refused', () => {
    const p = buildAccessRequest({ identifier: 1, secret: SECRET, userName: 'nemo', password: 'arctangent' });
    const ok = readFraming(p);
    if (typeof ok === 'string') throw new Error(ok);
    expect(checkRequestMessageAuthenticator(ok, SECRET)).toBe('valid');
    expect(checkRequestMessageAuthenticator(ok, Buffer.from('another-secret'))).toBe('invalid');
    for (const at of [0, 5, 22, p.length - 1]) {
      const bad = Buffer.from(p);
      bad[at] ^= 0x01;
      const f = readFraming(bad);
      if (typeof f !== 'string') expect(checkRequestMessageAuthenticator(f, SECRET)).toBe('invalid');
    }
    const two = buildAccessRequest({ identifier: 1, secret: SECRET, userName: 'nemo', attributes: [{ type: 80, value: Buffer.alloc(16) }] });
    expect(readFraming(two)).toBe('DUPLICATE_MESSAGE_AUTHENTICATOR');
  });

  it('names each framing fault instead of throwing', () => {
    expect(readFraming(Buffer.alloc(19))).toBe('SHORT_DATAGRAM');
    const p = Buffer.from(REQUEST);
    expect(readFraming(Buffer.concat([p, Buffer.alloc(10)]))).not.toBeTypeOf('string'); // padding beyond Length is ignored
    const short = Buffer.from(p);
    short.writeUInt16BE(19, 2);
    expect(readFraming(short)).toBe('BAD_LENGTH');
    const long = Buffer.from(p);
    long.writeUInt16BE(p.length + 1, 2);
    expect(readFraming(long)).toBe('BAD_LENGTH');
    const attr = Buffer.from(p);
    attr[21] = 200;
    expect(readFraming(attr)).toBe('BAD_ATTRIBUTE_LENGTH');
    attr[21] = 1;
    expect(readFraming(attr)).toBe('BAD_ATTRIBUTE_LENGTH');
    const ma = buildAccessRequest({ identifier: 1, secret: SECRET, userName: 'nemo', messageAuthenticator: false, attributes: [{ type: 80, value: Buffer.alloc(15) }] });
    expect(readFraming(ma)).toBe('BAD_MESSAGE_AUTHENTICATOR_LENGTH');
    const other = Buffer.from(p);
    other[0] = 4;
    expect(readAccessRequest(other)).toEqual({ problem: 'NOT_ACCESS_REQUEST' });
  });
});
