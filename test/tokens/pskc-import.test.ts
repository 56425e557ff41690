import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateHotp } from '../../src/otp/index.js';
import { parseXmlSafely } from '../../src/xml/index.js';
import { importPskcTokens } from '../../src/tokens/pskc-import.js';
import { buildPskc, HOTP, TOTP } from './support/build-pskc.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const FIGURE_6_KEY = Buffer.from('12345678901234567890123456789012', 'hex');
const SECRET_20 = Buffer.from('12345678901234567890', 'ascii');
const XENC = 'http://www.w3.org/2001/04/xmlenc#';

describe('RFC 6030 example documents', () => {
  it('Figure 2: a plain 4-byte secret, refused as too short unless relaxed', () => {
    const strict = importPskcTokens(fixture('rfc6030-figure2.pskcxml'));
    expect(strict.tokens).toEqual([]);
    expect(strict.problems).toEqual([
      { code: 'SECRET_TOO_SHORT', keyId: '12345678', serial: '12345678', message: expect.stringContaining('32 bits') },
    ]);

    const relaxed = importPskcTokens(fixture('rfc6030-figure2.pskcxml'), { minSecretBytes: 4 });
    expect(relaxed.problems).toEqual([]);
    // No DeviceInfo SerialNo: the Key's Id stands in for it.
    expect(relaxed.tokens).toEqual([
      {
        serial: '12345678',
        secret: Buffer.from('1234'),
        kind: 'hotp',
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: 0n,
        issuer: 'Issuer-A',
      },
    ]);
  });

  it('Figure 3: supplementary data (serial, manufacturer, 8 digits, counter, key UserId over the device one)', () => {
    const { tokens, problems, ignored } = importPskcTokens(fixture('rfc6030-figure3.pskcxml'));
    expect(problems).toEqual([]);
    expect(ignored).toEqual([]);
    expect(tokens).toEqual([
      {
        serial: '987654321',
        secret: SECRET_20,
        kind: 'hotp',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: 0n,
        issuer: 'Issuer',
        manufacturer: 'Manufacturer',
        userId: 'UID=jsmith,DC=example-bank,DC=net',
      },
    ]);
    // The imported key produces RFC 4226 codes (Appendix D, 8-digit form of counter 0).
    expect(generateHotp(tokens[0]!.secret, tokens[0]!.counter, { digits: 8 })).toBe('84755224');
  });

  it('Figure 5: the HOTP key is imported and its PIN key is set aside, not a token', () => {
    const { tokens, problems, ignored } = importPskcTokens(fixture('rfc6030-figure5.pskcxml'));
    expect(problems).toEqual([]);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ serial: '987654321', secret: SECRET_20, digits: 8, counter: 0n, kind: 'hotp' });
    expect(ignored).toEqual([{ keyId: '123456781', serial: '987654321', reason: expect.stringContaining('PIN') }]);
  });

  it('Figure 6: AES-128-CBC with a pre-shared key, MAC checked', () => {
    const { tokens, problems } = importPskcTokens(fixture('rfc6030-figure6.pskcxml'), { preSharedKey: FIGURE_6_KEY });
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      {
        serial: '987654321',
        secret: Buffer.from('3132333435363738393031323334353637383930', 'hex'),
        kind: 'hotp',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: 0n,
        issuer: 'Issuer',
        manufacturer: 'Manufacturer',
      },
    ]);
  });

  it('Figure 6: the pre-shared key can be chosen by its KeyName', () => {
    const names: Array<string | undefined> = [];
    const { tokens } = importPskcTokens(fixture('rfc6030-figure6.pskcxml'), {
      preSharedKey: (name) => {
        names.push(name);
        return name === 'Pre-shared-key' ? FIGURE_6_KEY : undefined;
      },
    });
    expect(tokens).toHaveLength(1);
    expect(new Set(names)).toEqual(new Set(['Pre-shared-key']));
  });

  it('Figure 7: PBKDF2 from the password "qwerty", MAC checked', () => {
    const { tokens, problems } = importPskcTokens(fixture('rfc6030-figure7.pskcxml'), { password: 'qwerty' });
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      {
        serial: '987654321',
        secret: SECRET_20,
        kind: 'hotp',
        algorithm: 'SHA1',
        digits: 8,
        period: 30,
        counter: 0n,
        issuer: 'Example-Issuer',
        manufacturer: 'TokenVendorAcme',
      },
    ]);
  });
});

describe('encryption algorithms', () => {
  for (const [uri, bytes] of [
    ['aes128-cbc', 16],
    ['aes192-cbc', 24],
    ['aes256-cbc', 32],
    ['kw-aes128', 16],
    ['kw-aes192', 24],
    ['kw-aes256', 32],
  ] as const) {
    const cbc = uri.endsWith('cbc');
    // RFC 3394 wraps only whole 64-bit blocks of at least 128 bits: keys, not counters.
    it(`decrypts ${uri} with a MAC${cbc ? ', including an encrypted counter' : ''}`, () => {
      const key = Buffer.alloc(bytes, 0x42);
      const xml = buildPskc({
        encryption: { uri: `${XENC}${uri}`, key, macUri: 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256' },
        encryptCounter: cbc,
        keys: [{ id: 'k1', serial: 'S1', secret: cbc ? SECRET_20 : Buffer.alloc(24, 3), counter: 123_456_789_012n }],
      });
      const { tokens, problems } = importPskcTokens(xml, { preSharedKey: key });
      expect(problems).toEqual([]);
      expect(tokens[0]).toMatchObject({ serial: 'S1', secret: cbc ? SECRET_20 : Buffer.alloc(24, 3), counter: 123_456_789_012n });
    });
  }

  it('accepts key-wrapped values without a MAC, since RFC 3394 carries its own integrity check', () => {
    const key = Buffer.alloc(16, 7);
    const xml = buildPskc({
      encryption: { uri: `${XENC}kw-aes128`, key, withMac: false },
      keys: [{ id: 'k1', serial: 'S1', secret: Buffer.alloc(24, 9) }],
    });
    expect(importPskcTokens(xml, { preSharedKey: key }).tokens[0]!.secret).toEqual(Buffer.alloc(24, 9));
    // A wrong key fails the RFC 3394 integrity check rather than yielding garbage.
    expect(importPskcTokens(xml, { preSharedKey: Buffer.alloc(16, 8) }).problems).toMatchObject([{ code: 'DECRYPTION_FAILED' }]);
  });

  it('unwraps the RFC 3394 §4.1, §4.2 and §4.6 test vectors', () => {
    const vectors = [
      ['kw-aes128', '000102030405060708090A0B0C0D0E0F', '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5', '00112233445566778899AABBCCDDEEFF'],
      ['kw-aes192', '000102030405060708090A0B0C0D0E0F1011121314151617', '96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D', '00112233445566778899AABBCCDDEEFF'],
      [
        'kw-aes256',
        '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
        '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21',
        '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F',
      ],
    ];
    for (const [alg, kek, wrapped, keyData] of vectors) {
      const xml = `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:xenc="${XENC}">
        <KeyPackage><DeviceInfo><SerialNo>V</SerialNo></DeviceInfo><Key Id="v" Algorithm="${HOTP}"><Data><Secret><EncryptedValue>
          <xenc:EncryptionMethod Algorithm="${XENC}${alg}"/>
          <xenc:CipherData><xenc:CipherValue>${Buffer.from(wrapped!, 'hex').toString('base64')}</xenc:CipherValue></xenc:CipherData>
        </EncryptedValue></Secret></Data></Key></KeyPackage></KeyContainer>`;
      const { tokens, problems } = importPskcTokens(xml, { preSharedKey: Buffer.from(kek!, 'hex') });
      expect(problems).toEqual([]);
      expect(tokens[0]!.secret.toString('hex')).toBe(keyData!.toLowerCase());
    }
  });

  it('derives AES-256 keys with PBKDF2 and an HMAC-SHA256 PRF', () => {
    const xml = buildPskc({
      encryption: { uri: `${XENC}aes256-cbc`, key: Buffer.alloc(32) },
      pbkdf2: {
        password: 'correct horse',
        salt: Buffer.from('saltsalt'),
        iterations: 2000,
        prf: 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#hmac-sha256',
        hash: 'sha256',
      },
      keys: [{ id: 'k1', serial: 'S1', secret: SECRET_20 }],
    });
    expect(importPskcTokens(xml, { password: 'correct horse' }).tokens[0]!.secret).toEqual(SECRET_20);
  });
});

describe('key metadata', () => {
  it('reads a TOTP key: algorithm suite, digits, time step, time, drift, model and user', () => {
    const xml = buildPskc({
      keys: [
        {
          id: 't1',
          serial: 'T-1',
          algorithm: TOTP,
          suite: 'HMAC-SHA256',
          length: 8,
          secret: Buffer.alloc(32, 1),
          timeInterval: 60,
          time: 0,
          timeDrift: -2,
          model: 'c200',
          userId: 'alice@example.org',
        },
      ],
    });
    const { tokens, problems } = importPskcTokens(xml);
    expect(problems).toEqual([]);
    expect(tokens).toEqual([
      {
        serial: 'T-1',
        secret: Buffer.alloc(32, 1),
        kind: 'totp',
        algorithm: 'SHA256',
        digits: 8,
        period: 60,
        counter: 0n,
        time: 0n,
        driftSteps: -2,
        issuer: 'Issuer',
        manufacturer: 'Acme',
        model: 'c200',
        userId: 'alice@example.org',
      },
    ]);
  });

  it('accepts the TOTP URI variants', () => {
    for (const algorithm of [TOTP, 'urn:ietf:params:xml:ns:keyprov:pskc:totp', 'http://www.ietf.org/keyprov/pskc#totp']) {
      const { tokens } = importPskcTokens(buildPskc({ keys: [{ id: '1', serial: '1', algorithm, secret: SECRET_20 }] }));
      expect(tokens[0]!.kind).toBe('totp');
    }
  });

  it('names each bad key and keeps the good ones for a partial import', () => {
    const xml = buildPskc({
      keys: [
        { id: 'good', serial: 'G', secret: SECRET_20, counter: 5n },
        { id: 'ocra', serial: 'O', algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA1-6:QN08', secret: SECRET_20 },
        { id: 'digits', serial: 'D', secret: SECRET_20, length: 10 },
        { id: 'suite', serial: 'H', secret: SECRET_20, suite: 'MD5' },
        { id: 'again', serial: 'G', secret: SECRET_20 },
        { id: 'policy', serial: 'P', secret: SECRET_20, policy: '<Policy><KeyUsage>Encrypt</KeyUsage></Policy>' },
        { id: 'pin', serial: 'Q', secret: SECRET_20, policy: '<Policy><PINPolicy PINUsageMode="Prepend"/></Policy>' },
        { id: 'step', serial: 'T', algorithm: TOTP, secret: SECRET_20, timeInterval: 'thirty' },
      ],
    });
    const { tokens, problems } = importPskcTokens(xml);
    expect(tokens.map((t) => [t.serial, t.counter])).toEqual([['G', 5n]]);
    expect(problems.map((p) => [p.keyId, p.code])).toEqual([
      ['ocra', 'UNKNOWN_ALGORITHM'],
      ['digits', 'BAD_DIGITS'],
      ['suite', 'UNKNOWN_ALGORITHM'],
      ['again', 'DUPLICATE_SERIAL'],
      ['policy', 'UNSUPPORTED_POLICY'],
      ['pin', 'UNSUPPORTED_POLICY'],
      ['step', 'BAD_TIME_STEP'],
    ]);
    expect(problems.find((p) => p.keyId === 'again')!.message).toBe('serial G was already used by key good');
  });
});

describe('invalid documents', () => {
  const figure3 = fixture('rfc6030-figure3.pskcxml');
  const figure6 = fixture('rfc6030-figure6.pskcxml');
  const figure7 = fixture('rfc6030-figure7.pskcxml');
  const withKey = { preSharedKey: FIGURE_6_KEY };

  it('refuses a wrong ValueMAC', () => {
    const xml = figure6.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Tu+NvtQfmvfJzF6bmQiJqoLRExc=');
    expect(importPskcTokens(xml, withKey)).toEqual({
      tokens: [],
      ignored: [],
      problems: [
        {
          code: 'BAD_MAC',
          keyId: '12345678',
          serial: '987654321',
          message: "Secret's ValueMAC does not match: the file was altered, or the key or password is wrong",
        },
      ],
    });
  });

  it('refuses a ValueMAC spelt with stray bits in its padding character', () => {
    const xml = figure6.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Su+NvtQfmvfJzF6bmQiJqoLRExd=');
    expect(importPskcTokens(xml, withKey).problems).toMatchObject([{ code: 'BAD_MAC', message: expect.stringContaining('not canonical') }]);
  });

  it('refuses a tampered ciphertext on its MAC, before decrypting it', () => {
    const xml = figure6.replace('AAECAwQFBgcICQoLDA0OD+cI', 'AAECAwQFBgcICQoLDA0OD+cJ');
    expect(importPskcTokens(xml, withKey).problems).toMatchObject([{ code: 'BAD_MAC' }]);
  });

  it('refuses a wrong pre-shared key or password', () => {
    const wrongKey = importPskcTokens(figure6, { preSharedKey: Buffer.alloc(16, 1) });
    expect(wrongKey.tokens).toEqual([]);
    expect(['DECRYPTION_FAILED', 'BAD_MAC']).toContain(wrongKey.problems[0]!.code);
    const wrongPassword = importPskcTokens(figure7, { password: 'QWERTY' });
    expect(wrongPassword.tokens).toEqual([]);
    expect(['DECRYPTION_FAILED', 'BAD_MAC']).toContain(wrongPassword.problems[0]!.code);
  });

  it('asks for the key or password when none was given', () => {
    expect(importPskcTokens(figure6).problems).toEqual([
      { code: 'MISSING_DECRYPTION_KEY', message: 'the container is encrypted with the pre-shared key "Pre-shared-key"; supply it' },
    ]);
    expect(importPskcTokens(figure7).problems).toEqual([
      { code: 'MISSING_DECRYPTION_KEY', message: 'the container is encrypted with a password ("My Password 1"); supply it' },
    ]);
  });

  it('refuses an unknown encryption algorithm', () => {
    const xml = figure6.replace(
      /(<EncryptedValue>\s*<xenc:EncryptionMethod\s+Algorithm=")[^"]+/,
      '$1http://www.w3.org/2001/04/xmldsig-more#camellia128-cbc',
    );
    expect(importPskcTokens(xml, withKey).problems).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_ENCRYPTION_ALGORITHM',
        message: "Secret is encrypted with http://www.w3.org/2001/04/xmldsig-more#camellia128-cbc, which is not supported",
      }),
    ]);
  });

  it('refuses an unknown MAC algorithm', () => {
    const xml = figure6.replace('http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'http://www.w3.org/2001/04/xmldsig-more#hmac-md5');
    expect(importPskcTokens(xml, withKey).problems).toEqual([
      { code: 'UNKNOWN_MAC_ALGORITHM', message: expect.stringContaining('hmac-md5 is not supported') },
    ]);
  });

  it('refuses a missing MAC key', () => {
    const noMethod = figure6.replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    expect(importPskcTokens(noMethod, withKey).problems).toEqual([
      expect.objectContaining({ code: 'MISSING_MAC_KEY', message: "Secret has a ValueMAC but the container has no MACMethod with a MACKey" }),
    ]);
    const reference = figure6.replace(/<MACKey>[\s\S]*<\/MACKey>/, '<MACKeyReference>out-of-band</MACKeyReference>');
    expect(importPskcTokens(reference, withKey).problems).toEqual([
      { code: 'MISSING_MAC_KEY', message: expect.stringContaining('MACKeyReference') },
    ]);
  });

  it('refuses a CBC value without a ValueMAC (RFC 6030 §6.1.1)', () => {
    const xml = figure6.replace(/<ValueMAC>[\s\S]*?<\/ValueMAC>/, '');
    expect(importPskcTokens(xml, withKey).problems).toMatchObject([{ code: 'MISSING_MAC' }]);
  });

  it('refuses what is not XML, or not well-formed', () => {
    expect(importPskcTokens('serial,secret\n1,ABC').problems).toMatchObject([{ code: 'NOT_XML' }]);
    expect(importPskcTokens(figure3.slice(0, 400)).problems).toMatchObject([{ code: 'NOT_XML' }]);
    expect(importPskcTokens('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&undefined;</KeyContainer>').problems).toMatchObject([
      { code: 'NOT_XML' },
    ]);
    expect(importPskcTokens(Buffer.from([0x3c, 0xff, 0xfe])).problems).toMatchObject([{ code: 'NOT_XML' }]);
  });

  it('refuses XML that is not a PSKC KeyContainer', () => {
    expect(importPskcTokens('<KeyContainer Version="1.0"/>').problems).toMatchObject([{ code: 'NOT_PSKC' }]);
    expect(importPskcTokens('<a xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>').problems).toMatchObject([{ code: 'NOT_PSKC' }]);
  });

  it('refuses a DOCTYPE with an external entity (XXE) without reading it', () => {
    expect(importPskcTokens(fixture('xxe.pskcxml')).problems).toEqual([
      { code: 'XML_DTD_FORBIDDEN', message: 'the document declares a DOCTYPE or an ENTITY, which is never accepted' },
    ]);
  });

  it('refuses nested entities (billion laughs) before expanding anything', () => {
    const started = Date.now();
    expect(importPskcTokens(fixture('billion-laughs.pskcxml')).problems).toMatchObject([{ code: 'XML_DTD_FORBIDDEN' }]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses any spelling of a DOCTYPE or ENTITY declaration', () => {
    expect(parseXmlSafely('<!doctype a><a/>')).toMatchObject({ ok: false, code: 'XML_DTD_FORBIDDEN' });
    expect(parseXmlSafely('<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "http://example.org/a.dtd"><a/>')).toMatchObject({
      ok: false,
      code: 'XML_DTD_FORBIDDEN',
    });
    expect(parseXmlSafely('<a><!ENTITY x "y"></a>')).toMatchObject({ ok: false, code: 'XML_DTD_FORBIDDEN' });
    expect(parseXmlSafely('<a>ok</a>')).toMatchObject({ ok: true });
  });

  it('refuses a wrong or missing Version', () => {
    expect(importPskcTokens(figure3.replace('Version="1.0"', 'Version="1.1"')).problems).toEqual([
      { code: 'WRONG_VERSION', message: 'KeyContainer Version="1.1" is not supported; RFC 6030 defines only 1.0' },
    ]);
    expect(importPskcTokens(figure3.replace('Version="1.0"', '')).problems).toMatchObject([{ code: 'WRONG_VERSION' }]);
  });

  it('refuses a counter that is not a non-negative integer', () => {
    for (const counter of ['12a', '1.5', '', '-1', '18446744073709551616']) {
      const xml = figure3.replace('<PlainValue>0</PlainValue>', `<PlainValue>${counter}</PlainValue>`);
      const { tokens, problems } = importPskcTokens(xml);
      expect(tokens).toEqual([]);
      expect(problems).toMatchObject([{ code: 'BAD_COUNTER', keyId: '12345678', serial: '987654321' }]);
    }
    const xml = figure3.replace('<PlainValue>0</PlainValue>', '<PlainValue>12a</PlainValue>');
    expect(importPskcTokens(xml).problems[0]!.message).toBe('Counter "12a" is not an integer');
  });

  it('refuses a secret that is not base64', () => {
    const xml = figure3.replace('MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=', 'MTIzNDU2Nzg5MDEy*zQ1Njc4OTA=');
    expect(importPskcTokens(xml).problems).toMatchObject([{ code: 'BAD_SECRET', message: 'Secret is not valid base64' }]);
  });

  it('refuses a file over the size limit before parsing it', () => {
    expect(importPskcTokens(figure3, { maxBytes: 100 }).problems).toMatchObject([{ code: 'TOO_LARGE' }]);
  });

  it('refuses a PBKDF2 iteration count large enough to pin a CPU', () => {
    const xml = figure7.replace('<IterationCount>1000</IterationCount>', '<IterationCount>2000000000</IterationCount>');
    expect(importPskcTokens(xml, { password: 'qwerty' }).problems).toMatchObject([{ code: 'UNKNOWN_KEY_DERIVATION' }]);
  });

  it('reports an empty container', () => {
    expect(importPskcTokens('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>').problems).toMatchObject([
      { code: 'EMPTY_FILE' },
    ]);
  });
});
