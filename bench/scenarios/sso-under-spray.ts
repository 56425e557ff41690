/**
 * SSO while a password spray runs (issue 16): the sso-response set-up (a real `factorgate start`
 * process, file directory with real scrypt hashes, the SAML IdP, one signed-in session), measured
 * alone and then while 50 clients post wrong passwords to /login as fast as they are answered,
 * each cycling through user names. Value: SSO responses/s during the spray; baseline: SSO
 * responses/s alone, same host, same run. Two sprays: from one address (what a bench on loopback
 * is: regulation refuses it after `client.maxFailures` tries), and from 50 addresses named in
 * X-Forwarded-For through a trusted proxy (each client gets its own budget: what is left is the
 * bound on password checks in flight).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { TestBrowser } from '../../test/support/http-client.js';
import { authnRequestPath, fire, signInOnce, startSamlHost, type SamlHost } from './sso-response.js';
import type { Scenario, ScenarioResult } from './scenario.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const CLIENTS = 50;

interface Spray {
  stop(): Promise<Record<string, number>>;
}

/** 50 clients posting wrong passwords in a loop until stopped; counts the answers by status. */
async function startSpray(url: string, distinctAddresses: boolean): Promise<Spray> {
  const statuses: Record<string, number> = {};
  let running = true;
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const b = new TestBrowser(url);
      const { csrf } = await b.form('/login');
      const headers: Record<string, string> = distinctAddresses ? { 'x-forwarded-for': `198.18.${c >> 8}.${(c & 255) + 1}` } : {};
      return { b, csrf, headers };
    }),
  );
  const loops = clients.map(async ({ b, csrf, headers }, c) => {
    for (let i = 0; running; i++) {
      try {
        const res = await b.post('/login', { _csrf: csrf, username: `user${(c * 7919 + i) % 10_000}`, password: `Spring${i}!` }, headers);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

async function ssoRate(host: SamlHost, cookie: string, n: number): Promise<number> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(await authnRequestPath(host.sp));
  const r = await fire(host.url, paths, cookie, 8);
  if (r.ok !== n) throw new Error(`${r.ok}/${n} SSO responses carried a SAMLResponse (statuses ${JSON.stringify(r.statuses)})`);
  return r.ok / r.seconds;
}

async function measure(quick: boolean, distinctAddresses: boolean) {
  const host = await startSamlHost({
    beforeStart: async (configPath) => {
      if (!distinctAddresses) return;
      const cfg = parse(readFileSync(configPath, 'utf8')) as { server: Record<string, unknown> };
      cfg.server.trustedProxies = ['loopback'];
      writeFileSync(configPath, stringify(cfg));
    },
  });
  try {
    const b = new TestBrowser(host.url);
    await signInOnce(b, await authnRequestPath(host.sp), {});
    const cookie = b.cookieHeader();
    const n = quick ? 1000 : 6000;
    await ssoRate(host, cookie, quick ? 200 : 1000); // warm-up
    const alone = await ssoRate(host, cookie, n);
    const spray = await startSpray(host.url, distinctAddresses);
    // Let the spray reach its steady state first (bans in place, or the gate's queue full).
    await new Promise((r) => setTimeout(r, quick ? 1000 : 3000));
    const during = await ssoRate(host, cookie, n);
    const statuses = await spray.stop();
    return { alone, during, ratio: during / alone, statuses };
  } finally {
    await host.close();
  }
}

export const ssoUnderSprayScenario: Scenario = {
  name: 'sso-under-spray',
  async run({ quick }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const one = await measure(quick, false);
    const many = await measure(quick, true);
    return {
      name: 'sso-under-spray',
      ratioMeaning: `SSO responses/s while ${CLIENTS} clients spray wrong passwords at /login from one address ÷ SSO responses/s alone (same host, same run)`,
      ratio: one.ratio,
      value: one.during,
      unit: 'responses/s',
      baseline: one.alone,
      baselineUnit: 'responses/s alone',
      target: 'at least 0.8',
      met: one.ratio >= 0.8,
      extra: {
        oneAddressAnswers: JSON.stringify(one.statuses),
        manyAddressesRatio: Number(many.ratio.toFixed(3)),
        manyAddressesAlone: Math.round(many.alone),
        manyAddressesDuring: Math.round(many.during),
        manyAddressesAnswers: JSON.stringify(many.statuses),
      },
    };
  },
};
