/**
 * Builds PSKC documents for tests, encrypting with node:crypto the way RFC 6030 §6.1 says:
 * IV ‖ AES-CBC(PKCS #7) or RFC 3394 key wrap, and ValueMAC = HMAC(MACKey, IV ‖ ciphertext).
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';

export const CBC: Record<string, string> = {
  [`${XENC}aes128-cbc`]: 'aes-128-cbc',
  [`${XENC}aes192-cbc`]: 'aes-192-cbc',
  [`${XENC}aes256-cbc`]: 'aes-256-cbc',
};
export const WRAP: Record<string, string> = {
  [`${XENC}kw-aes128`]: 'id-aes128-wrap',
  [`${XENC}kw-aes192`]: 'id-aes192-wrap',
  [`${XENC}kw-aes256`]: 'id-aes256-wrap',
};

export function encrypt(uri: string, key: Buffer, plaintext: Buffer): Buffer {
  if (CBC[uri]) {
    const iv = randomBytes(16);
    const cipher = createCipheriv(CBC[uri]!, key, iv);
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
  }
  const cipher = createCipheriv(WRAP[uri]!, key, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

export interface KeySpec {
  id: string;
  serial?: string;
  algorithm?: string;
  secret: Buffer;
  counter?: bigint | string;
  suite?: string;
  length?: number;
  timeInterval?: number | string;
  time?: number;
  timeDrift?: number;
  userId?: string;
  model?: string;
  policy?: string;
}

export interface DocSpec {
  keys: KeySpec[];
  /** Encrypt values with this algorithm URI and key; plain values otherwise. */
  encryption?: { uri: string; key: Buffer; macUri?: string; macKey?: Buffer; withMac?: boolean };
  /** Use a PBKDF2-derived key instead of a named pre-shared one. */
  pbkdf2?: { password: string; salt: Buffer; iterations: number; prf?: string; hash?: string };
  encryptCounter?: boolean;
}

export const HOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:hotp';
export const TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc#totp';

export function buildPskc(spec: DocSpec): string {
  const enc = spec.encryption;
  let key = enc?.key;
  if (spec.pbkdf2 && enc) {
    key = pbkdf2Sync(spec.pbkdf2.password, spec.pbkdf2.salt, spec.pbkdf2.iterations, enc.key.length, spec.pbkdf2.hash ?? 'sha1');
  }
  // 32 bytes, so that RFC 3394 (whole 64-bit blocks) can wrap it too.
  const macKey = enc?.macKey ?? randomBytes(32);
  const withMac = enc ? (enc.withMac ?? true) : false;
  const macHash = enc?.macUri?.endsWith('sha256') ? 'sha256' : 'sha1';

  const value = (name: string, plain: string, bytes: Buffer, encryptIt: boolean): string => {
    if (!enc || !encryptIt) return `<${name}><PlainValue>${plain}</PlainValue></${name}>`;
    const ct = encrypt(enc.uri, key!, bytes);
    const mac = withMac ? `<ValueMAC>${createHmac(macHash, macKey).update(ct).digest('base64')}</ValueMAC>` : '';
    return `<${name}><EncryptedValue><xenc:EncryptionMethod Algorithm="${enc.uri}"/><xenc:CipherData><xenc:CipherValue>${ct.toString('base64')}</xenc:CipherValue></xenc:CipherData></EncryptedValue>${mac}</${name}>`;
  };

  const encryptionKey = !enc
    ? ''
    : spec.pbkdf2
      ? `<EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"><pkcs5:PBKDF2-params><Salt><Specified>${spec.pbkdf2.salt.toString('base64')}</Specified></Salt><IterationCount>${spec.pbkdf2.iterations}</IterationCount><KeyLength>${enc.key.length}</KeyLength>${spec.pbkdf2.prf ? `<PRF Algorithm="${spec.pbkdf2.prf}"/>` : ''}</pkcs5:PBKDF2-params></xenc11:KeyDerivationMethod><xenc11:MasterKeyName>test password</xenc11:MasterKeyName></xenc11:DerivedKey></EncryptionKey>`
      : `<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>`;
  const macMethod =
    enc && withMac
      ? `<MACMethod Algorithm="${enc.macUri ?? 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'}"><MACKey><xenc:EncryptionMethod Algorithm="${enc.uri}"/><xenc:CipherData><xenc:CipherValue>${encrypt(enc.uri, key!, macKey).toString('base64')}</xenc:CipherValue></xenc:CipherData></MACKey></MACMethod>`
      : '';

  const packages = spec.keys
    .map((k) => {
      const counter = k.counter === undefined ? '' : typeof k.counter === 'bigint'
        ? value('Counter', k.counter.toString(), bigintBytes(k.counter), spec.encryptCounter ?? false)
        : `<Counter><PlainValue>${k.counter}</PlainValue></Counter>`;
      const interval = k.timeInterval === undefined ? '' : `<TimeInterval><PlainValue>${k.timeInterval}</PlainValue></TimeInterval>`;
      const time = k.time === undefined ? '' : `<Time><PlainValue>${k.time}</PlainValue></Time>`;
      const drift = k.timeDrift === undefined ? '' : `<TimeDrift><PlainValue>${k.timeDrift}</PlainValue></TimeDrift>`;
      return `<KeyPackage><DeviceInfo><Manufacturer>Acme</Manufacturer>${k.serial ? `<SerialNo>${k.serial}</SerialNo>` : ''}${k.model ? `<Model>${k.model}</Model>` : ''}</DeviceInfo><Key Id="${k.id}" Algorithm="${k.algorithm ?? HOTP}"><Issuer>Issuer</Issuer><AlgorithmParameters>${k.suite ? `<Suite>${k.suite}</Suite>` : ''}<ResponseFormat Length="${k.length ?? 6}" Encoding="DECIMAL"/></AlgorithmParameters><Data>${value('Secret', k.secret.toString('base64'), k.secret, true)}${counter}${time}${interval}${drift}</Data>${k.userId ? `<UserId>${k.userId}</UserId>` : ''}${k.policy ?? ''}</Key></KeyPackage>`;
    })
    .join('\n');

  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="${XENC}" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#">
${encryptionKey}${macMethod}
${packages}
</KeyContainer>`;
}

function bigintBytes(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}
