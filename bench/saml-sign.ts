/**
 * How close signed SAML Responses come to the raw RSA rate. Prints, in one process: raw
 * RSA-2048 SHA-256 signatures/s with a `KeyObject`, our signed responses/s on the calling
 * thread and with N signatures in flight on the libuv threadpool, and the ratios. Not a test:
 * no thresholds. Run with
 * `npx tsx bench/saml-sign.ts [--duration-ms 3000] [--rounds 3] [--in-flight 4] [--sign both]`.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildSignedResponse, buildSignedResponseSync, type SamlResponseInput } from '../src/saml/emit-response.js';
import { SamlSigner } from '../src/saml/signer.js';

export interface SamlSignBenchOptions {
  /** Total time of each of the four measurements, split over `rounds`. Default 3000 ms. */
  durationMs?: number;
  /**
   * The measurements alternate this many times and the best round counts, so a neighbour's
   * burst of CPU use (a shared CI machine) does not land on one side only. Default 3.
   */
  rounds?: number;
  /** Signatures in flight for the threadpool runs. Default 4, libuv's default threadpool size. */
  inFlight?: number;
  /** Which elements are signed. Default `assertion` (one RSA signature per response). */
  sign?: 'assertion' | 'response' | 'both';
  /** PEM key and certificate; a throwaway RSA-2048 pair is made with openssl when absent. */
  keyPem?: string;
  certPem?: string;
}

export interface SamlSignBenchResult {
  durationMs: number;
  rounds: number;
  inFlight: number;
  sign: 'assertion' | 'response' | 'both';
  responseBytes: number;
  rawSignaturesPerSec: number;
  rawSignaturesPerSecInFlight: number;
  syncResponsesPerSec: number;
  asyncResponsesPerSec: number;
  /** Sync responses/s over raw sync signatures/s (1.0 means no overhead beyond RSA). */
  syncRatio: number;
  /** Threadpool responses/s over raw threadpool signatures/s at the same depth. */
  asyncRatio: number;
}

function benchInput(): SamlResponseInput {
  const now = Date.UTC(2026, 0, 1);
  return {
    issueInstant: now,
    destination: 'https://sp.example/acs',
    inResponseTo: '_0123456789abcdef0123456789abcdef',
    issuer: 'https://idp.example/saml',
    nameId: { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    subjectConfirmation: { recipient: 'https://sp.example/acs', notOnOrAfter: now + 300_000 },
    conditions: { notBefore: now - 60_000, notOnOrAfter: now + 300_000, audiences: ['https://sp.example/metadata'] },
    authnStatement: {
      authnInstant: now,
      sessionIndex: '_session',
      authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    },
    attributes: [
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', values: ['alice@example.com'] },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', values: ['Alice'] },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', values: ['Liddell & Co'] },
      { name: 'http://schemas.microsoft.com/claims/authnmethodsreferences', values: ['password', 'totp'] },
    ],
  };
}

function throwawayKeys(): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-bench-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=bench', '-days', '2', '-keyout', keyPath, '-out', certPath],
      { stdio: 'pipe' },
    );
    return { keyPem: readFileSync(keyPath, 'utf8'), certPem: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rateSync(durationMs: number, work: () => void): number {
  for (let i = 0; i < 50; i++) work();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 10; i++) work();
    count += 10;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

async function rateInFlight(durationMs: number, inFlight: number, work: () => Promise<unknown>): Promise<number> {
  await Promise.all(Array.from({ length: inFlight * 4 }, () => work()));
  let count = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await work();
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => lane()));
  return (count * 1000) / (performance.now() - start);
}

function rawSignAsync(data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => sign('sha256', data, key, (err, sig) => (err ? reject(err) : resolve(sig))));
}

export async function runSamlSignBench(options: SamlSignBenchOptions = {}): Promise<SamlSignBenchResult> {
  const durationMs = options.durationMs ?? 3000;
  const inFlight = options.inFlight ?? 4;
  const signMode = options.sign ?? 'assertion';
  const { keyPem, certPem } =
    options.keyPem !== undefined && options.certPem !== undefined
      ? { keyPem: options.keyPem, certPem: options.certPem }
      : throwawayKeys();
  const key = createPrivateKey(keyPem);
  const signer = new SamlSigner({ privateKey: key, certificatePem: certPem });
  const input = benchInput();
  const emitOptions = { sign: signMode } as const;
  const sample = buildSignedResponseSync(input, signer, emitOptions);
  // A SignedInfo-sized message, so the raw figure hashes as much as our signatures do.
  const signedInfoLike = Buffer.from(sample.slice(sample.indexOf('<ds:SignedInfo>'), sample.indexOf('</ds:SignedInfo>')));

  const rounds = Math.max(1, options.rounds ?? 3);
  const slice = durationMs / rounds;
  let rawSignaturesPerSec = 0;
  let syncResponsesPerSec = 0;
  let rawSignaturesPerSecInFlight = 0;
  let asyncResponsesPerSec = 0;
  for (let round = 0; round < rounds; round++) {
    rawSignaturesPerSec = Math.max(rawSignaturesPerSec, rateSync(slice, () => sign('sha256', signedInfoLike, key)));
    syncResponsesPerSec = Math.max(
      syncResponsesPerSec,
      rateSync(slice, () => buildSignedResponseSync(input, signer, emitOptions)),
    );
    rawSignaturesPerSecInFlight = Math.max(
      rawSignaturesPerSecInFlight,
      await rateInFlight(slice, inFlight, () => rawSignAsync(signedInfoLike, key)),
    );
    asyncResponsesPerSec = Math.max(
      asyncResponsesPerSec,
      await rateInFlight(slice, inFlight, () => buildSignedResponse(input, signer, emitOptions)),
    );
  }
  const signaturesPerResponse = signMode === 'both' ? 2 : 1;

  return {
    durationMs,
    rounds,
    inFlight,
    sign: signMode,
    responseBytes: Buffer.byteLength(sample),
    rawSignaturesPerSec,
    rawSignaturesPerSecInFlight,
    syncResponsesPerSec,
    asyncResponsesPerSec,
    syncRatio: (syncResponsesPerSec * signaturesPerResponse) / rawSignaturesPerSec,
    asyncRatio: (asyncResponsesPerSec * signaturesPerResponse) / rawSignaturesPerSecInFlight,
  };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationArg = argValue('--duration-ms');
  const inFlightArg = argValue('--in-flight');
  const signArg = argValue('--sign');
  const roundsArg = argValue('--rounds');
  const result = await runSamlSignBench({
    ...(roundsArg === undefined ? {} : { rounds: Number(roundsArg) }),
    ...(durationArg === undefined ? {} : { durationMs: Number(durationArg) }),
    ...(inFlightArg === undefined ? {} : { inFlight: Number(inFlightArg) }),
    ...(signArg === 'response' || signArg === 'both' || signArg === 'assertion' ? { sign: signArg } : {}),
  });
  const f = (n: number): string => n.toFixed(0).padStart(7);
  console.log(`SAML signing bench (RSA-2048, SHA-256, sign=${result.sign}, ${result.responseBytes} byte response, ${availableParallelism()} CPUs, best of ${result.rounds} rounds, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4'})`);
  console.log(`raw crypto.sign, KeyObject, sync            ${f(result.rawSignaturesPerSec)} signatures/s`);
  console.log(`signed responses, sync                      ${f(result.syncResponsesPerSec)} responses/s   ratio ${result.syncRatio.toFixed(2)}`);
  console.log(`raw crypto.sign, threadpool, ${String(result.inFlight).padStart(2)} in flight    ${f(result.rawSignaturesPerSecInFlight)} signatures/s`);
  console.log(`signed responses, threadpool, ${String(result.inFlight).padStart(2)} in flight   ${f(result.asyncResponsesPerSec)} responses/s   ratio ${result.asyncRatio.toFixed(2)}`);
  console.log(`threadpool responses over raw sync signatures: ${(result.asyncResponsesPerSec / result.rawSignaturesPerSec).toFixed(2)}`);
}
