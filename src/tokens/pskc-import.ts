import type { XmlElement as Element } from '../xml/index.js';
import type { OtpAlgorithm } from '../otp/index.js';
import { parseXmlSafely } from '../xml/index.js';
import {
  cipherFor,
  decryptValue,
  derivePbkdf2,
  macHashFor,
  macMatches,
  PBKDF2_ALGORITHMS,
  prfHashFor,
  type PskcCipher,
} from './pskc-crypto.js';
import {
  DEFAULT_MIN_SECRET_BYTES,
  type ImportedToken,
  type ImportProblemCode,
  type ImportResult,
} from './token.js';

/**
 * Reads OATH tokens from a Portable Symmetric Key Container (RFC 6030): plain or encrypted
 * with a pre-shared key (§6.1) or a password (§6.2), every encrypted value's MAC checked
 * (§6.1.1) before it is decrypted. Asymmetric key transport (§6.3) and signatures (§7) are
 * not read: vendors ship hardware-token seed files with a pre-shared key or a password.
 */

export interface PskcImportOptions {
  /**
   * The pre-shared key of §6.1, or a function choosing it by the document's `ds:KeyName`
   * (undefined when the document names none).
   */
  preSharedKey?: Buffer | ((keyName: string | undefined) => Buffer | undefined);
  /** The password of §6.2, for documents whose key is derived with PBKDF2. */
  password?: string;
  /** Refuse shorter secrets (RFC 4226 §4 R6). Default 16 bytes. */
  minSecretBytes?: number;
  /** Refuse larger files before parsing. Default 16 MiB. */
  maxBytes?: number;
  /** A document naming more PBKDF2 iterations is refused rather than left to pin a CPU. Default 10,000,000. */
  maxPbkdf2Iterations?: number;
}

/** A key that is not a token and needs no action, such as the PIN key of RFC 6030 Figure 5. */
export interface IgnoredKey {
  keyId?: string;
  serial?: string;
  reason: string;
}

export interface PskcImportResult extends ImportResult {
  ignored: IgnoredKey[];
}

const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';

/**
 * RFC 6030 §4.3.1 registers HOTP's URI; TOTP's comes from the PSKC algorithm profiles
 * (draft-hoyer-keyprov-pskc-algorithm-profiles), written `#totp` there and `:totp` by some
 * vendors; the `http://www.ietf.org/keyprov/pskc#…` forms are from the drafts before the RFC.
 */
const KIND_BY_ALGORITHM: Record<string, 'hotp' | 'totp'> = {
  'urn:ietf:params:xml:ns:keyprov:pskc:hotp': 'hotp',
  'urn:ietf:params:xml:ns:keyprov:pskc#hotp': 'hotp',
  'http://www.ietf.org/keyprov/pskc#hotp': 'hotp',
  'urn:ietf:params:xml:ns:keyprov:pskc#totp': 'totp',
  'urn:ietf:params:xml:ns:keyprov:pskc:totp': 'totp',
  'http://www.ietf.org/keyprov/pskc#totp': 'totp',
};
const PIN_ALGORITHM = 'urn:ietf:params:xml:ns:keyprov:pskc:pin';

type Problem = { code: ImportProblemCode; message: string };
type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const bad = (code: ImportProblemCode, message: string): { ok: false; problem: Problem } => ({
  ok: false,
  problem: { code, message },
});

export function importPskcTokens(input: string | Buffer, options: PskcImportOptions = {}): PskcImportResult {
  const fatal = (problem: Problem): PskcImportResult => ({ tokens: [], problems: [problem], ignored: [] });

  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) return fatal({ code: 'TOO_LARGE', message: `the file is ${size} bytes; the limit is ${maxBytes}` });
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return fatal({ code: 'NOT_XML', message: 'the file is not UTF-8 text' });
  }

  const parsed = parseXmlSafely(text);
  if (!parsed.ok) return fatal({ code: parsed.code, message: parsed.message });
  const root = parsed.document.documentElement!;
  if (root.localName !== 'KeyContainer' || root.namespaceURI !== PSKC_NS) {
    return fatal({
      code: 'NOT_PSKC',
      message: `the root element is ${root.localName} in ${root.namespaceURI ?? 'no namespace'}, not KeyContainer in ${PSKC_NS}`,
    });
  }
  // RFC 6030 §4: Version is required and "1.0" is the only version defined.
  const version = root.getAttribute('Version');
  if (version !== '1.0') {
    return fatal({
      code: 'WRONG_VERSION',
      message:
        version === null
          ? 'KeyContainer has no Version attribute (RFC 6030 §4 requires Version="1.0")'
          : `KeyContainer Version="${version}" is not supported; RFC 6030 defines only 1.0`,
    });
  }

  const keys = new EncryptionKeys(root, options);
  const mac = readMacMethod(root, keys);
  if (!mac.ok) return fatal(mac.problem);

  const context: KeyContext = {
    keys,
    mac: mac.value,
    minSecretBytes: options.minSecretBytes ?? DEFAULT_MIN_SECRET_BYTES,
    pinKeyIds: new Set(
      descendants(root, 'PINPolicy')
        .map((p) => p.getAttribute('PINKeyId'))
        .filter((id): id is string => id !== null && id !== ''),
    ),
  };

  const result: PskcImportResult = { tokens: [], problems: [], ignored: [] };
  const firstKeyIdBySerial = new Map<string, string>();
  for (const keyPackage of childElements(root, 'KeyPackage')) {
    const device = childElement(keyPackage, 'DeviceInfo');
    const keyElements = childElements(keyPackage, 'Key');
    if (keyElements.length === 0) {
      result.ignored.push({ reason: 'a KeyPackage without a Key (a device description only)' });
    }
    for (const keyElement of keyElements) {
      const keyId = keyElement.getAttribute('Id') ?? undefined;
      const serial = textOf(childElement(device, 'SerialNo')) || keyId;
      const where = { ...(keyId ? { keyId } : {}), ...(serial ? { serial } : {}) };
      const read = readKey(keyElement, device, serial, context);
      if (read.kind === 'ignored') {
        result.ignored.push({ ...where, reason: read.reason });
      } else if (read.kind === 'problem') {
        result.problems.push({ ...read.problem, ...where });
      } else {
        const earlier = firstKeyIdBySerial.get(read.token.serial);
        if (earlier !== undefined) {
          result.problems.push({
            code: 'DUPLICATE_SERIAL',
            message: `serial ${read.token.serial} was already used by key ${earlier}`,
            ...where,
          });
          continue;
        }
        firstKeyIdBySerial.set(read.token.serial, keyId ?? '(no Id)');
        result.tokens.push(read.token);
      }
    }
  }
  if (result.tokens.length === 0 && result.problems.length === 0) {
    result.problems.push({ code: 'EMPTY_FILE', message: 'the container holds no OTP keys' });
  }
  return result;
}

interface MacContext {
  hash: string;
  key: Buffer;
}

interface KeyContext {
  keys: EncryptionKeys;
  mac: MacContext | undefined;
  minSecretBytes: number;
  pinKeyIds: Set<string>;
}

type KeyRead =
  | { kind: 'token'; token: ImportedToken }
  | { kind: 'ignored'; reason: string }
  | { kind: 'problem'; problem: Problem };

function readKey(keyElement: Element, device: Element | undefined, serial: string | undefined, ctx: KeyContext): KeyRead {
  const keyId = keyElement.getAttribute('Id');
  const algorithmUri = keyElement.getAttribute('Algorithm') ?? '';
  if (algorithmUri === PIN_ALGORITHM) {
    const referenced = keyId !== null && ctx.pinKeyIds.has(keyId);
    return { kind: 'ignored', reason: referenced ? 'the PIN of another key (RFC 6030 §5.1), not a token' : 'a PIN key, not a token' };
  }
  const problem = (code: ImportProblemCode, message: string): KeyRead => ({ kind: 'problem', problem: { code, message } });

  const kind = Object.hasOwn(KIND_BY_ALGORITHM, algorithmUri) ? KIND_BY_ALGORITHM[algorithmUri]! : undefined;
  if (kind === undefined) {
    return problem(
      'UNKNOWN_ALGORITHM',
      algorithmUri === '' ? 'the Key has no Algorithm attribute' : `unknown key algorithm ${algorithmUri}; only HOTP and TOTP keys are imported`,
    );
  }
  if (!serial) return problem('MISSING_SERIAL', 'the key has neither a DeviceInfo SerialNo nor an Id');

  const parameters = childElement(keyElement, 'AlgorithmParameters');
  const hash = readSuite(textOf(childElement(parameters, 'Suite')));
  if (!hash.ok) return { kind: 'problem', problem: hash.problem };
  const digits = readResponseFormat(childElement(parameters, 'ResponseFormat'));
  if (!digits.ok) return { kind: 'problem', problem: digits.problem };
  const policy = checkPolicy(childElement(keyElement, 'Policy'));
  if (!policy.ok) return { kind: 'problem', problem: policy.problem };

  const data = childElement(keyElement, 'Data');
  // Every value is read, and so MAC-checked, before the secret is accepted: a tampered
  // counter is as much a reason to refuse the key as a tampered secret.
  const secretValue = readValue(childElement(data, 'Secret'), 'Secret', ctx);
  if (!secretValue.ok) return { kind: 'problem', problem: secretValue.problem };
  if (secretValue.value === undefined) {
    return problem('MISSING_SECRET', 'the key carries no Secret (keys derived by the server from a master key are not supported)');
  }
  const secret =
    secretValue.value.kind === 'bytes' ? ok(secretValue.value.bytes) : decodeBase64(secretValue.value.text, 'Secret', 'BAD_SECRET');
  if (!secret.ok) return { kind: 'problem', problem: secret.problem };
  if (secret.value.length < ctx.minSecretBytes) {
    return problem(
      'SECRET_TOO_SHORT',
      `the secret is ${secret.value.length * 8} bits; at least ${ctx.minSecretBytes * 8} are required (RFC 4226 §4)`,
    );
  }

  const counter = readInteger(childElement(data, 'Counter'), 'Counter', ctx, 'BAD_COUNTER', 0n, (1n << 64n) - 1n);
  if (!counter.ok) return { kind: 'problem', problem: counter.problem };
  const interval = readInteger(childElement(data, 'TimeInterval'), 'TimeInterval', ctx, 'BAD_TIME_STEP', 1n, 3600n);
  if (!interval.ok) return { kind: 'problem', problem: interval.problem };
  const time = readInteger(childElement(data, 'Time'), 'Time', ctx, 'BAD_INTEGER', 0n, (1n << 63n) - 1n);
  if (!time.ok) return { kind: 'problem', problem: time.problem };
  const drift = readInteger(childElement(data, 'TimeDrift'), 'TimeDrift', ctx, 'BAD_INTEGER', -(1n << 31n), (1n << 31n) - 1n);
  if (!drift.ok) return { kind: 'problem', problem: drift.problem };

  const token: ImportedToken = {
    serial,
    secret: secret.value,
    kind,
    algorithm: hash.value,
    digits: digits.value,
    period: interval.value === undefined ? 30 : Number(interval.value),
    counter: kind === 'hotp' ? (counter.value ?? 0n) : 0n,
  };
  if (time.value !== undefined) token.time = time.value;
  if (drift.value !== undefined) token.driftSteps = Number(drift.value);
  const issuer = textOf(childElement(keyElement, 'Issuer'));
  const manufacturer = textOf(childElement(device, 'Manufacturer'));
  const model = textOf(childElement(device, 'Model'));
  // The key's own UserId names its user; the device's is a fallback (RFC 6030 §4.3.2, §4.3.1).
  const userId = textOf(childElement(keyElement, 'UserId')) || textOf(childElement(device, 'UserId'));
  if (issuer) token.issuer = issuer;
  if (manufacturer) token.manufacturer = manufacturer;
  if (model) token.model = model;
  if (userId) token.userId = userId;
  return { kind: 'token', token };
}

/** RFC 6030 §4.3.4 `<Suite>`: for HMAC-based OTPs, the hash. Absent means HMAC-SHA-1 (RFC 4226). */
function readSuite(suite: string): Outcome<OtpAlgorithm> {
  if (suite === '') return ok('SHA1');
  const match = /^(?:HMAC-?)?SHA-?(1|256|512)$/i.exec(suite);
  if (!match) return bad('UNKNOWN_ALGORITHM', `unknown algorithm suite ${JSON.stringify(suite)}; SHA1, SHA256 and SHA512 are supported`);
  return ok(`SHA${match[1]}` as OtpAlgorithm);
}

/** RFC 6030 §4.3.4 `<ResponseFormat Length Encoding CheckDigits>`. */
function readResponseFormat(format: Element | undefined): Outcome<number> {
  if (!format) return ok(6);
  const encoding = format.getAttribute('Encoding') ?? 'DECIMAL';
  if (encoding !== 'DECIMAL') {
    return bad('UNSUPPORTED_RESPONSE_FORMAT', `response encoding ${encoding} is not supported; OATH tokens show DECIMAL codes`);
  }
  const checkDigits = format.getAttribute('CheckDigits');
  if (checkDigits === 'true' || checkDigits === '1') {
    return bad('UNSUPPORTED_RESPONSE_FORMAT', 'codes with a Luhn check digit (CheckDigits="true") are not supported');
  }
  const length = format.getAttribute('Length') ?? '';
  if (!/^[0-9]+$/.test(length) || Number(length) < 6 || Number(length) > 8) {
    return bad('BAD_DIGITS', `ResponseFormat Length="${length}" must be 6, 7 or 8 (RFC 4226 §5.3)`);
  }
  return ok(Number(length));
}

/**
 * RFC 6030 §5: a recipient that cannot honour a policy "MUST assume that key usage is not
 * permitted". We can honour a PIN checked on the device itself, and usage that includes OTP.
 */
function checkPolicy(policy: Element | undefined): Outcome<void> {
  if (!policy) return ok(undefined);
  const usages = childElements(policy, 'KeyUsage').map((u) => textOf(u));
  if (usages.length > 0 && !usages.includes('OTP')) {
    return bad('UNSUPPORTED_POLICY', `the key's policy permits only ${usages.join(', ')}, not OTP`);
  }
  const pin = childElement(policy, 'PINPolicy');
  const mode = pin?.getAttribute('PINUsageMode');
  if (mode && mode !== 'Local') {
    return bad('UNSUPPORTED_POLICY', `PINUsageMode="${mode}" needs the server to check a PIN with the code; only Local PINs are supported`);
  }
  return ok(undefined);
}

type RawValue = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Buffer };

/**
 * One RFC 6030 §4.3.4 data element: `<PlainValue>`, or `<EncryptedValue>` with its
 * `<ValueMAC>`. The MAC is verified on the ciphertext before any decryption (§6.1.1), so a
 * forged value never reaches the cipher.
 */
function readValue(element: Element | undefined, name: string, ctx: KeyContext): Outcome<RawValue | undefined> {
  if (!element) return ok(undefined);
  const plain = childElement(element, 'PlainValue');
  if (plain) return ok({ kind: 'text', text: textOf(plain) });
  const encrypted = childElement(element, 'EncryptedValue');
  if (!encrypted) return bad('BAD_SECRET', `${name} has neither a PlainValue nor an EncryptedValue`);

  const methodUri = childElement(encrypted, 'EncryptionMethod')?.getAttribute('Algorithm') ?? '';
  const cipher = cipherFor(methodUri);
  if (!cipher) {
    return bad(
      'UNKNOWN_ENCRYPTION_ALGORITHM',
      methodUri === '' ? `${name}'s EncryptedValue names no EncryptionMethod` : `${name} is encrypted with ${methodUri}, which is not supported`,
    );
  }
  const cipherValue = decodeBase64(textOf(childElement(childElement(encrypted, 'CipherData'), 'CipherValue')), `${name}'s CipherValue`, 'DECRYPTION_FAILED');
  if (!cipherValue.ok) return cipherValue;

  const valueMac = childElement(element, 'ValueMAC');
  if (valueMac) {
    if (!ctx.mac) return bad('MISSING_MAC_KEY', `${name} has a ValueMAC but the container has no MACMethod with a MACKey`);
    const expected = decodeBase64(textOf(valueMac), `${name}'s ValueMAC`, 'BAD_MAC');
    if (!expected.ok) return expected;
    if (!macMatches(ctx.mac.hash, ctx.mac.key, cipherValue.value, expected.value)) {
      return bad('BAD_MAC', `${name}'s ValueMAC does not match: the file was altered, or the key or password is wrong`);
    }
  } else if (cipher.kind === 'cbc') {
    // §6.1.1: CBC has no integrity of its own, so its values MUST carry a MAC.
    return bad('MISSING_MAC', `${name} is CBC-encrypted without a ValueMAC (RFC 6030 §6.1.1 requires one)`);
  }

  const key = ctx.keys.keyFor(cipher);
  if (!key.ok) return key;
  const decrypted = decryptValue(cipher, key.value, cipherValue.value);
  if (!decrypted.ok) return bad('DECRYPTION_FAILED', `${name}: ${decrypted.message}`);
  return ok({ kind: 'bytes', bytes: decrypted.plaintext });
}

function readInteger(
  element: Element | undefined,
  name: string,
  ctx: KeyContext,
  code: ImportProblemCode,
  min: bigint,
  max: bigint,
): Outcome<bigint | undefined> {
  const raw = readValue(element, name, ctx);
  if (!raw.ok) return raw;
  if (raw.value === undefined) return ok(undefined);
  let value: bigint;
  if (raw.value.kind === 'text') {
    // xs:long / xs:int lexical form.
    if (!/^[+-]?[0-9]+$/.test(raw.value.text)) {
      return bad(code, `${name} ${JSON.stringify(raw.value.text)} is not an integer`);
    }
    value = BigInt(raw.value.text);
  } else {
    // An encrypted integer is its big-endian two's-complement-free byte string.
    if (raw.value.bytes.length === 0 || raw.value.bytes.length > 8) {
      return bad(code, `the decrypted ${name} is ${raw.value.bytes.length} bytes, not an integer of at most 8`);
    }
    value = BigInt(`0x${raw.value.bytes.toString('hex')}`);
  }
  if (value < min || value > max) return bad(code, `${name} ${value} is outside ${min} … ${max}`);
  return ok(value);
}

/**
 * The container's encryption key (RFC 6030 §6.1 pre-shared, §6.2 derived from a password),
 * worked out only when a value needs it, since the key length PBKDF2 must produce may depend
 * on the cipher.
 */
class EncryptionKeys {
  readonly #element: Element | undefined;
  readonly #options: PskcImportOptions;
  readonly #derived = new Map<number, Outcome<Buffer>>();

  constructor(root: Element, options: PskcImportOptions) {
    this.#element = childElement(root, 'EncryptionKey');
    this.#options = options;
  }

  keyFor(cipher: PskcCipher): Outcome<Buffer> {
    const derivedKey = childElement(this.#element, 'DerivedKey');
    if (derivedKey) {
      let cached = this.#derived.get(cipher.keyBytes);
      if (!cached) {
        cached = this.#derive(derivedKey, cipher.keyBytes);
        this.#derived.set(cipher.keyBytes, cached);
      }
      return cached;
    }
    if (this.#element && childElements(this.#element).some((e) => e.localName !== 'KeyName')) {
      const names = childElements(this.#element).map((e) => e.localName).join(', ');
      return bad('UNKNOWN_ENCRYPTION_ALGORITHM', `the EncryptionKey (${names}) is not a pre-shared key or PBKDF2 password; asymmetric key transport is not supported`);
    }
    const keyName = textOf(childElement(this.#element, 'KeyName')) || undefined;
    const given = this.#options.preSharedKey;
    const key = typeof given === 'function' ? given(keyName) : given;
    if (!key) {
      return bad('MISSING_DECRYPTION_KEY', `the container is encrypted with the pre-shared key ${keyName ? JSON.stringify(keyName) : '(unnamed)'}; supply it`);
    }
    return ok(key);
  }

  #derive(derivedKey: Element, defaultKeyBytes: number): Outcome<Buffer> {
    const method = childElement(derivedKey, 'KeyDerivationMethod');
    const algorithm = method?.getAttribute('Algorithm') ?? '';
    if (!PBKDF2_ALGORITHMS.has(algorithm)) {
      return bad('UNKNOWN_KEY_DERIVATION', `key derivation ${algorithm || '(none named)'} is not supported; only PBKDF2 is`);
    }
    const masterKeyName = textOf(childElement(derivedKey, 'MasterKeyName'));
    if (this.#options.password === undefined) {
      return bad('MISSING_DECRYPTION_KEY', `the container is encrypted with a password${masterKeyName ? ` (${JSON.stringify(masterKeyName)})` : ''}; supply it`);
    }
    const params = childElement(method, 'PBKDF2-params');
    const salt = childElement(params, 'Salt');
    if (!childElement(salt, 'Specified')) {
      return bad('UNKNOWN_KEY_DERIVATION', 'the PBKDF2 salt must be given as Salt/Specified');
    }
    const saltBytes = decodeBase64(textOf(childElement(salt, 'Specified')), 'the PBKDF2 salt', 'UNKNOWN_KEY_DERIVATION');
    if (!saltBytes.ok) return saltBytes;
    const iterationsText = textOf(childElement(params, 'IterationCount'));
    const maxIterations = this.#options.maxPbkdf2Iterations ?? 10_000_000;
    if (!/^[0-9]+$/.test(iterationsText) || Number(iterationsText) < 1 || Number(iterationsText) > maxIterations) {
      return bad('UNKNOWN_KEY_DERIVATION', `PBKDF2 IterationCount ${JSON.stringify(iterationsText)} must be 1 … ${maxIterations}`);
    }
    const keyLengthText = textOf(childElement(params, 'KeyLength'));
    if (keyLengthText !== '' && (!/^[0-9]+$/.test(keyLengthText) || Number(keyLengthText) !== defaultKeyBytes)) {
      return bad('DECRYPTION_FAILED', `PBKDF2 KeyLength ${keyLengthText} does not fit a ${defaultKeyBytes}-byte cipher key`);
    }
    const prf = childElement(params, 'PRF')?.getAttribute('Algorithm');
    const hash = prfHashFor(prf);
    if (!hash) return bad('UNKNOWN_KEY_DERIVATION', `PBKDF2 PRF ${prf} is not supported`);
    return ok(derivePbkdf2(this.#options.password, saltBytes.value, Number(iterationsText), defaultKeyBytes, hash));
  }
}

/**
 * RFC 6030 §6.1.1 `<MACMethod>`: the algorithm and the MAC key, itself encrypted with the
 * container's key. Its problems are fatal to the whole file: no encrypted value can be
 * trusted without it.
 */
function readMacMethod(root: Element, keys: EncryptionKeys): Outcome<MacContext | undefined> {
  const method = childElement(root, 'MACMethod');
  if (!method) return ok(undefined);
  const algorithm = method.getAttribute('Algorithm') ?? '';
  const hash = macHashFor(algorithm);
  if (!hash) return bad('UNKNOWN_MAC_ALGORITHM', `MAC algorithm ${algorithm || '(none named)'} is not supported; HMAC-SHA1/224/256/384/512 are`);

  const macKey = childElement(method, 'MACKey');
  if (!macKey) {
    return bad(
      'MISSING_MAC_KEY',
      childElement(method, 'MACKeyReference')
        ? 'the MAC key is only referenced (MACKeyReference), not included; it cannot be checked'
        : 'MACMethod carries no MACKey',
    );
  }
  const methodUri = childElement(macKey, 'EncryptionMethod')?.getAttribute('Algorithm') ?? '';
  const cipher = cipherFor(methodUri);
  if (!cipher) return bad('UNKNOWN_ENCRYPTION_ALGORITHM', `the MACKey is encrypted with ${methodUri || '(none named)'}, which is not supported`);
  const cipherValue = decodeBase64(textOf(childElement(childElement(macKey, 'CipherData'), 'CipherValue')), "the MACKey's CipherValue", 'DECRYPTION_FAILED');
  if (!cipherValue.ok) return cipherValue;
  const key = keys.keyFor(cipher);
  if (!key.ok) return key;
  const decrypted = decryptValue(cipher, key.value, cipherValue.value);
  if (!decrypted.ok) return bad('DECRYPTION_FAILED', `the MACKey: ${decrypted.message}`);
  return ok({ hash, key: decrypted.plaintext });
}

function decodeBase64(text: string, what: string, code: ImportProblemCode): Outcome<Buffer> {
  const compact = text.replace(/\s+/g, '');
  // xs:base64Binary, strictly: Buffer.from(…, 'base64') would silently skip bad characters,
  // and the XML Schema grammar also forbids set bits in the final character's padding, which
  // would let two spellings of one MAC pass a byte-level comparison of the file.
  if (compact === '' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    return bad(code, `${what} is not valid base64`);
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) return bad(code, `${what} is not canonical base64 (stray bits in its last character)`);
  return ok(bytes);
}

// PSKC children are looked up by local name: vendors are inconsistent about prefixes (the
// PBKDF2 parameters of RFC 6030 Figure 7 are even in no namespace), and the root's namespace
// was already checked.
function childElements(parent: Element | undefined, localName?: string): Element[] {
  const out: Element[] = [];
  if (!parent) return out;
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (localName === undefined || (node as Element).localName === localName)) out.push(node as Element);
  }
  return out;
}

function childElement(parent: Element | undefined, localName: string): Element | undefined {
  return childElements(parent, localName)[0];
}

function descendants(root: Element, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS('*', localName));
}

function textOf(element: Element | undefined): string {
  return (element?.textContent ?? '').trim();
}
