/**
 * Whether WS-Federation tokens ride the same fast canonical path as SAML 2.0 responses: signed
 * `wresult`s/s (RSTR + SAML 1.1 assertion, `buildWsFedResponse`) against signed SAML 2.0
 * Responses/s (`buildSignedResponse`, assertion signed), same key, same process, 4 signatures
 * in flight on the threadpool, measurements alternated. The ratio is by CPU time: this process's
 * CPU (`process.cpuUsage()`, every thread, the threadpool's RSA included) per signed SAML 2.0
 * Response ÷ per signed token, summed over all rounds of each side. The wall rates (best round
 * each) are reported beside it: with 4 signatures in flight on a shared 2-core machine they
 * measure the neighbours as much as the emitters (0.63 and 1.06 minutes apart at load 19).
 * Not a test: no thresholds. Run with `npx tsx bench/wsfed-sign.ts [--duration-ms 3000] [--rounds 3]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildSignedResponse } from '../src/saml/emit-response.js';
import { SAML11_AM_PASSWORD } from '../src/saml/emit-saml11-assertion.js';
import { buildWsFedResponse } from '../src/saml/emit-wsfed-response.js';
import { SamlSigner } from '../src/saml/signer.js';

export interface WsFedSignBenchResult {
  /** Best round of each, wall clock. */
  wsFedPerSec: number;
  saml2PerSec: number;
  /** CPU ms per signed token / per signed SAML 2.0 Response, all rounds of each side summed. */
  wsFedCpuMs: number;
  saml2CpuMs: number;
  /** By CPU time: SAML 2.0 CPU per Response ÷ WS-Federation CPU per token. */
  ratio: number;
  /** WS-Federation tokens/s ÷ SAML 2.0 responses/s, best round each (the load moves it). */
  wallRatio: number;
  rounds: number;
  wresultBytes: number;
}

const NOW = Date.UTC(2026, 0, 1);

function wsFed(signer: SamlSigner) {
  return buildWsFedResponse(
    {
      appliesTo: 'urn:federation:MicrosoftOnline',
      created: NOW,
      expires: NOW + 3_600_000,
      assertion: {
        issuer: 'https://idp.example/wsfed',
        issueInstant: NOW,
        notBefore: NOW - 30_000,
        nameIdentifier: { value: 'PC0eD1pLeGmHlqW0w9Lh8A==', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
        attributes: [
          { name: 'UPN', namespace: 'http://schemas.xmlsoap.org/claims', values: ['alice@corp.example'] },
          { name: 'ImmutableID', namespace: 'http://schemas.microsoft.com/LiveID/Federation/2008/05', values: ['PC0eD1pLeGmHlqW0w9Lh8A=='] },
          { name: 'authnmethodsreferences', namespace: 'http://schemas.microsoft.com/claims', values: ['http://schemas.microsoft.com/claims/multipleauthn'] },
        ],
        authentication: { method: SAML11_AM_PASSWORD, instant: NOW },
      },
    },
    signer,
  );
}

function saml2(signer: SamlSigner) {
  return buildSignedResponse(
    {
      issueInstant: NOW,
      destination: 'https://sp.example/acs',
      issuer: 'https://idp.example/saml',
      nameId: { value: 'PC0eD1pLeGmHlqW0w9Lh8A==', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
      subjectConfirmation: { recipient: 'https://sp.example/acs', notOnOrAfter: NOW + 300_000 },
      conditions: { notBefore: NOW - 30_000, notOnOrAfter: NOW + 3_600_000, audiences: ['urn:federation:MicrosoftOnline'] },
      authnStatement: { authnInstant: NOW, authnContextClassRef: 'http://schemas.microsoft.com/claims/multipleauthn' },
      attributes: [
        { name: 'http://schemas.xmlsoap.org/claims/UPN', values: ['alice@corp.example'] },
        { name: 'http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID', values: ['PC0eD1pLeGmHlqW0w9Lh8A=='] },
        { name: 'http://schemas.microsoft.com/claims/authnmethodsreferences', values: ['http://schemas.microsoft.com/claims/multipleauthn'] },
      ],
    },
    signer,
  );
}

interface Round {
  perSec: number;
  done: number;
  /** This process's CPU over the round (user + system, every thread), ms. */
  cpuMs: number;
}

/** Builds of `build` with `inFlight` running at once, for `ms`: completed/s and the CPU they took. */
async function rate(build: () => Promise<unknown>, ms: number, inFlight = 4): Promise<Round> {
  const until = performance.now() + ms;
  let done = 0;
  const lane = async () => {
    while (performance.now() < until) {
      await build();
      done++;
    }
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: (done * 1000) / elapsed, done, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export async function runWsFedSignBench(options: { durationMs?: number; rounds?: number } = {}): Promise<WsFedSignBenchResult> {
  const rounds = options.rounds ?? 3;
  const slice = (options.durationMs ?? 3000) / rounds / 2;
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-bench-'));
  let signer: SamlSigner;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=bench', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    signer = new SamlSigner({ privateKey: readFileSync(join(dir, 'key.pem')), certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Untimed: both emitters compiled and the threadpool started before the first round.
  await rate(() => wsFed(signer), Math.min(200, slice));
  await rate(() => saml2(signer), Math.min(200, slice));
  const ws = { perSec: 0, done: 0, cpuMs: 0 };
  const s2 = { perSec: 0, done: 0, cpuMs: 0 };
  const add = (into: Round, r: Round) => {
    into.perSec = Math.max(into.perSec, r.perSec);
    into.done += r.done;
    into.cpuMs += r.cpuMs;
  };
  for (let i = 0; i < rounds; i++) {
    // Alternated, and which side goes first alternates too.
    if (i % 2 === 0) {
      add(ws, await rate(() => wsFed(signer), slice));
      add(s2, await rate(() => saml2(signer), slice));
    } else {
      add(s2, await rate(() => saml2(signer), slice));
      add(ws, await rate(() => wsFed(signer), slice));
    }
  }
  const wresultBytes = Buffer.byteLength((await wsFed(signer)).wresult);
  const wsFedCpuMs = ws.cpuMs / ws.done;
  const saml2CpuMs = s2.cpuMs / s2.done;
  return { wsFedPerSec: ws.perSec, saml2PerSec: s2.perSec, wsFedCpuMs, saml2CpuMs, ratio: saml2CpuMs / wsFedCpuMs, wallRatio: ws.perSec / s2.perSec, rounds, wresultBytes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : Number(process.argv[i + 1]);
  };
  const r = await runWsFedSignBench({ durationMs: arg('--duration-ms'), rounds: arg('--rounds') });
  console.log(JSON.stringify(r, null, 2));
}
