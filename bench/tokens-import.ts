/**
 * Importing a vendor's seed file: a PSKC document of N HOTP keys (default 10,000), built in
 * memory the way vendors ship them (RFC 6030 §6.1: AES-128-CBC under a pre-shared key, every
 * value with its HMAC-SHA1 ValueMAC), read by `importPskcTokens` and stored by
 * `TokenRepository.importTokens` (every secret sealed, one transaction) into a fresh SQLite
 * file. Reports seconds (parse, store, total) and peak memory. Not a test: no thresholds.
 * Run with `npx tsx bench/tokens-import.ts [--keys 10000]`.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { importPskcTokens } from '../src/tokens/index.js';
import { TokenRepository } from '../src/tokens/token-repository.js';
import { openStore } from '../src/store/store.js';
import { SecretBox } from '../src/store/secret-box.js';
import { ManualClock } from '../src/kit/clock.js';

export interface TokensImportBenchOptions {
  keys?: number;
}

export interface TokensImportBenchResult {
  keys: number;
  documentMb: number;
  parseSeconds: number;
  storeSeconds: number;
  /** Parse and store: what `factorgate tokens import` spends on the file. */
  seconds: number;
  keysPerSec: number;
  /** The process's peak resident set (getrusage maxrss), document generation included. */
  peakRssMb: number;
  /** Resident set growth from just before the import to its peak. */
  rssGrowthMb: number;
}

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** RFC 6030 §6.1: IV ‖ AES-128-CBC ciphertext, and its MAC over exactly those bytes (§6.1.1). */
function encryptedValue(key: Buffer, macKey: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const ct = Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha1', macKey).update(ct).digest('base64');
  return `<pskc:EncryptedValue><xenc:EncryptionMethod Algorithm="${XENC}aes128-cbc"/><xenc:CipherData><xenc:CipherValue>${ct.toString('base64')}</xenc:CipherValue></xenc:CipherData></pskc:EncryptedValue><pskc:ValueMAC>${mac}</pskc:ValueMAC>`;
}

export function buildVendorPskc(keys: number, preSharedKey: Buffer): string {
  const macKey = randomBytes(20);
  const iv = randomBytes(16);
  const macCipher = createCipheriv('aes-128-cbc', preSharedKey, iv);
  const wrappedMacKey = Buffer.concat([iv, macCipher.update(macKey), macCipher.final()]).toString('base64');
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>
<pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="${XENC}">
<pskc:EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></pskc:EncryptionKey>
<pskc:MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"><pskc:MACKey><xenc:EncryptionMethod Algorithm="${XENC}aes128-cbc"/><xenc:CipherData><xenc:CipherValue>${wrappedMacKey}</xenc:CipherValue></xenc:CipherData></pskc:MACKey></pskc:MACMethod>`,
  ];
  for (let i = 0; i < keys; i++) {
    const serial = `BENCH${String(i).padStart(8, '0')}`;
    parts.push(
      `<pskc:KeyPackage><pskc:DeviceInfo><pskc:Manufacturer>Acme</pskc:Manufacturer><pskc:SerialNo>${serial}</pskc:SerialNo><pskc:Model>OTP-c200</pskc:Model></pskc:DeviceInfo>` +
        `<pskc:Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><pskc:Issuer>Acme</pskc:Issuer><pskc:AlgorithmParameters><pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters>` +
        `<pskc:Data><pskc:Secret>${encryptedValue(preSharedKey, macKey, randomBytes(20))}</pskc:Secret><pskc:Counter><pskc:PlainValue>0</pskc:PlainValue></pskc:Counter></pskc:Data></pskc:Key></pskc:KeyPackage>`,
    );
  }
  parts.push('</pskc:KeyContainer>\n');
  return parts.join('\n');
}

export async function runTokensImportBench(options: TokensImportBenchOptions = {}): Promise<TokensImportBenchResult> {
  const keys = options.keys ?? 10_000;
  const preSharedKey = randomBytes(16);
  const document = Buffer.from(buildVendorPskc(keys, preSharedKey), 'utf8');
  const tmp = mkdtempSync(join(tmpdir(), 'fg-bench-tokens-'));
  const store = await openStore({ driver: 'sqlite', file: join(tmp, 'factorgate.db') });
  try {
    const tokens = new TokenRepository(store.db, new SecretBox([{ id: 'bench', key: randomBytes(32) }]), new ManualClock());
    const rssBefore = process.memoryUsage().rss;

    const t0 = performance.now();
    const parsed = importPskcTokens(document, { preSharedKey });
    const t1 = performance.now();
    if (parsed.problems.length > 0) throw new Error(`the generated document has problems: ${parsed.problems[0]!.message}`);
    const report = await tokens.importTokens(parsed, { assign: false });
    const t2 = performance.now();
    if (report.imported !== keys) throw new Error(`imported ${report.imported} of ${keys} keys`);

    const peak = Math.max(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss);
    const seconds = (t2 - t0) / 1000;
    return {
      keys,
      documentMb: mb(document.length),
      parseSeconds: Math.round(((t1 - t0) / 1000) * 100) / 100,
      storeSeconds: Math.round(((t2 - t1) / 1000) * 100) / 100,
      seconds: Math.round(seconds * 100) / 100,
      keysPerSec: Math.round(keys / seconds),
      peakRssMb: mb(peak),
      rssGrowthMb: mb(peak - rssBefore),
    };
  } finally {
    await store.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--keys');
  const keys = i > 0 ? Number(process.argv[i + 1]) : 10_000;
  console.log(JSON.stringify(await runTokensImportBench({ keys })));
}
