/**
 * Scenarios built on the per-component benchmarks (each also runnable on its own with tsx):
 * the SAML signing path, AuthnRequest validation, the forms proxy, the LDAP import, the token import, users notify and
 * the audit reports.
 */
import { runSamlSignBench } from '../saml-sign.js';
import { runAuthnRequestValidateBench } from '../authn-request-validate.js';
import { runWsFedSignBench } from '../wsfed-sign.js';
import { runFormsProxyBench } from '../forms-proxy.js';
import { runLdapImportBench } from '../ldap-import.js';
import { runTokensImportBench } from '../tokens-import.js';
import { runUsersNotifyBench } from '../users-notify.js';
import { runAuditReportBench } from '../audit-report.js';
import { runRadiusBench } from '../radius.js';
import type { Scenario } from './scenario.js';

export const samlSigningScenario: Scenario = {
  name: 'saml-signing',
  async run({ quick }) {
    const r = await runSamlSignBench({ durationMs: quick ? 600 : 3000, rounds: quick ? 1 : 3 });
    return {
      name: 'saml-signing',
      ratioMeaning: 'signed SAML responses/s ÷ raw RSA-2048 SHA-256 signatures/s (same process, emitter only, no HTTP)',
      ratio: r.syncRatio,
      value: r.syncResponsesPerSec,
      unit: 'responses/s',
      baseline: r.rawSignaturesPerSec,
      baselineUnit: 'signatures/s',
      target: 'at least 0.5',
      met: r.syncRatio >= 0.5,
      extra: { asyncRatio: r.asyncRatio, asyncResponsesPerSec: r.asyncResponsesPerSec },
    };
  },
};

export const authnRequestValidationScenario: Scenario = {
  name: 'authnrequest-validation',
  async run({ quick }) {
    const r = await runAuthnRequestValidateBench({ requests: quick ? 200 : 500, rounds: quick ? 2 : 4 });
    return {
      name: 'authnrequest-validation',
      ratioMeaning: 'by CPU time: one raw RSA-2048 SHA-256 verification ÷ one signed HTTP-Redirect AuthnRequest read and checked (inflate, parse, issuer, query signature, ACS, replay; no HTTP; rounds alternated)',
      ratio: r.ratio,
      value: r.validateCpuMs,
      unit: 'ms of CPU per AuthnRequest',
      baseline: r.rsaVerifyCpuMs,
      baselineUnit: 'ms of CPU per RSA verify',
      target: 'at most 3 ms per AuthnRequest (samlify\'s validator cost ~30 ms)',
      met: r.validateCpuMs <= 3,
      extra: { requests: r.requests },
    };
  },
};

export const wsFedSigningScenario: Scenario = {
  name: 'wsfed-signing',
  async run({ quick }) {
    // By CPU time over alternated rounds: the wall rates of one short round swung 0.63-1.39.
    const r = await runWsFedSignBench({ durationMs: quick ? 1200 : 6000, rounds: quick ? 4 : 6 });
    return {
      name: 'wsfed-signing',
      ratioMeaning: 'by CPU time: CPU per signed SAML 2.0 response ÷ CPU per signed WS-Federation token (RSTR + SAML 1.1 assertion; same key, same process, 4 in flight, rounds alternated); wallRatio: tokens/s ÷ responses/s',
      // value and baseline are what the ratio is made of (ratio = baseline ÷ value); the CPU is
      // the whole bench process's (process.cpuUsage), over rounds alternated between the two.
      ratio: r.ratio,
      value: r.wsFedCpuMs,
      unit: 'ms of CPU per token',
      baseline: r.saml2CpuMs,
      baselineUnit: 'ms of CPU per response',
      target: 'at least 0.9 (the same canonical path)',
      met: r.ratio >= 0.9,
      extra: { wallRatio: r.wallRatio, tokensPerSec: r.wsFedPerSec, responsesPerSec: r.saml2PerSec, rounds: r.rounds, wresultBytes: r.wresultBytes },
    };
  },
};

export const formsProxyScenario: Scenario = {
  name: 'forms-proxy',
  async run({ quick }) {
    // --quick: 2,000 timed requests a side for the added latency (4,000 in all, so the p99 rests on 20 samples), 10 s at 400/s in all.
    const r = await runFormsProxyBench({ durationSec: quick ? 1 : 5, rounds: quick ? 1 : 2, latencyRequests: quick ? 2000 : 10_000 });
    const p = r.public;
    const l = p.latency;
    // When the direct side alone has a p99 of 2 ms (the target) or more, the machine's own
    // scheduling tail is as large as what is measured: the added p99 is then the machine's.
    const machineBound = l.direct.p99Us >= 2000;
    return {
      name: 'forms-proxy',
      ratioMeaning: 'requests/s through the proxy ÷ the same app reached directly; addedP99Ms: proxied − direct p99, open loop at a fixed low rate, interleaved',
      ratio: p.rpsRatio,
      value: p.proxiedMax.requestsPerSec,
      unit: 'req/s',
      baseline: p.directMax.requestsPerSec,
      baselineUnit: 'req/s',
      target: 'at least 0.6; p99 added under 2 ms',
      met: p.rpsRatio >= 0.6 && p.addedP99Ms < 2,
      extra: {
        addedP50Ms: p.addedP50Ms,
        addedP99Ms: p.addedP99Ms,
        addedP99Reading: machineBound ? `machine-bound: the direct p99 alone is ${(l.direct.p99Us / 1000).toFixed(1)} ms` : 'the proxy (direct p99 under 2 ms)',
        roundAddedP99Ms: l.roundAddedP99Ms.map((x) => x.toFixed(3)).join(' '),
        latencyRate: l.rate,
        latencyRequests: l.requests,
        directP99Ms: l.direct.p99Us / 1000,
        proxiedP99Ms: l.proxied.p99Us / 1000,
        proxyGcPauses: l.gc.count,
        proxyGcMaxMs: l.gc.maxMs,
        proxyLoopStallMaxMs: l.loopDelayMaxMs,
        proxyOwnP50Ms: l.proxyOwn.p50Us / 1000,
        proxyOwnP99Ms: l.proxyOwn.p99Us / 1000,
        proxyCpuUsPerRequest: l.proxyCpuUsPerRequest,
        proxySystemCpuUsPerRequest: l.proxySystemCpuUsPerRequest,
        appCpuUsPerRequest: l.appCpuUsPerRequest,
        loadAverage: l.loadAverage,
        protectedRatio: r.protected.rpsRatio,
        protectedAddedP99Ms: r.protected.addedP99Ms,
      },
    };
  },
};

export const ldapImportScenario: Scenario = {
  name: 'ldap-import',
  async run({ quick }) {
    // --quick: 20,000 (not 2,000): the listing's worker thread takes 0.15-0.5 s to start, which
    // at 2,000 entries (a tenth of a second of work) would be all the figure measures.
    const r = await runLdapImportBench({ users: quick ? 20_000 : 100_000 });
    return {
      name: 'ldap-import',
      ratioMeaning: 'users imported/s ÷ ldapsearch reading the same entries',
      ratio: r.ratio,
      value: r.importUsersPerSec,
      unit: 'users/s',
      baseline: r.ldapsearchUsersPerSec,
      baselineUnit: 'users/s',
      target: 'at least 0.5',
      met: r.ratio >= 0.5,
      extra: { users: r.users, imported: r.imported, peakRssMb: r.peakRssMb },
    };
  },
};

export const tokensImportScenario: Scenario = {
  name: 'tokens-import',
  async run({ quick }) {
    const keys = quick ? 1000 : 10_000;
    const r = await runTokensImportBench({ keys });
    return {
      name: 'tokens-import',
      ratioMeaning: 'PSKC keys imported (parse + store) per second; no baseline (reported)',
      ratio: r.keysPerSec,
      value: r.seconds,
      unit: `s for ${keys} keys`,
      baseline: r.peakRssMb,
      baselineUnit: 'MB peak RSS',
      target: 'reported (seconds and peak memory)',
      met: true,
    };
  },
};

export const usersNotifyScenario: Scenario = {
  name: 'users-notify',
  async run({ quick }) {
    const r = await runUsersNotifyBench({ users: quick ? 200 : 2000, baselineMails: quick ? 10 : 30 });
    return {
      name: 'users-notify',
      ratioMeaning: 'users notify mails/s ÷ the previous one-connection-per-mail sender on the same SMTP sink',
      ratio: r.ratio,
      value: r.notifyMailsPerSec,
      unit: 'mails/s',
      baseline: r.baselineMailsPerSec,
      baselineUnit: 'mails/s',
      target: 'at least 10',
      met: r.ratio >= 10,
      extra: { users: r.users, notifySeconds: r.notifySeconds, baselineSecondsPerMail: r.baselineSecondsPerMail, smtpSessions: r.sessions },
    };
  },
};

export const auditReportScenario: Scenario = {
  name: 'audit-report',
  async run({ quick }) {
    const r = await runAuditReportBench({ rows: quick ? 200_000 : 10_000_000 });
    return {
      name: 'audit-report',
      ratioMeaning: `seconds of the slowest 30-day report (${r.slowest.report} by ${r.slowest.by}, ${r.rows} audit rows, ${r.windowRows} in the window) ÷ the same report reading the table without its indexes`,
      ratio: r.slowest.seconds / r.unindexedSeconds,
      value: r.slowest.seconds,
      unit: 's',
      baseline: r.unindexedSeconds,
      baselineUnit: 's unindexed',
      target: 'slowest report under 1 s',
      met: r.slowest.seconds < 1,
      extra: { rows: r.rows, windowRows: r.windowRows, fillSeconds: r.fillSeconds, indexSeconds: r.indexSeconds, dbMb: r.dbMb, ...Object.fromEntries(r.timings.map((t) => [`${t.report}/${t.by}`, t.seconds])) },
    };
  },
};

export const radiusScenario: Scenario = {
  name: 'radius',
  async run({ quick }) {
    const r = await runRadiusBench({ users: quick ? 20 : 200 });
    return {
      name: 'radius',
      ratioMeaning: 'one-field (password,TOTP) Access-Accepts/s through factorgate ÷ PAP Access-Accepts/s of FreeRADIUS on a users file (same radclient, same run)',
      ratio: r.ratio,
      value: r.factorgatePerSec,
      unit: 'accepts/s',
      baseline: r.freeradiusPerSec,
      baselineUnit: 'accepts/s',
      target: 'reported (no target in issue 22)',
      met: true,
      extra: { users: r.users, parallel: r.parallel },
    };
  },
};
