/**
 * Full sign-in over HTTP: AuthnRequest → /login (password, file directory) → TOTP challenge →
 * signed Response, per completed sign-in, against the same host as `sso-response` (its own
 * process) with a throwaway slapd as its LDAP directory (AD-like tree, the tests' fixture; the
 * password check is an LDAP bind). N users are first enrolled (a first sign-in each, not timed);
 * the timed phase signs each of them in once more from a fresh browser (no cookies), 8 at a time,
 * with a TOTP code of a step not used yet. Baseline: raw RSA-2048 SHA-256 signatures/s in the
 * bench process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSlapd } from '../../test/support/slapd.js';
import { slapdDirectoryConfig } from '../../test/support/ldap-directory-config.js';
import { TestBrowser } from '../../test/support/http-client.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { authnRequestPath, benchKey, rawSignaturesPerSec, signInOnce, startSamlHost } from './sso-response.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export const fullSigninScenario: Scenario = {
  name: 'full-signin',
  async run({ quick }): Promise<ScenarioResult> {
    if (!existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
    const n = quick ? 150 : 1000;
    const concurrency = 8;
    const slapd = await startSlapd({ users: n * 2 + 50 });
    const eligible = slapd.fixture.users.filter((u) => !u.disabled && u.inMfaGroup && /^user\d+$/.test(u.uid)).slice(0, n);
    if (eligible.length < n) {
      await slapd.destroy();
      throw new Error(`only ${eligible.length} usable users in the slapd tree`);
    }
    const host = await startSamlHost({ directory: slapdDirectoryConfig(slapd) as unknown as Record<string, unknown> }).catch(async (err: unknown) => {
      await slapd.destroy();
      throw err;
    });
    try {
      const users = eligible.map((u) => ({ username: u.uid, password: u.password, state: {} as { secret?: Buffer; lastCodeAt?: number } }));
      await pool(users, concurrency, async (u) => {
        await signInOnce(new TestBrowser(host.url), await authnRequestPath(host.sp), u.state, u.username, u.password);
      });
      const paths: string[] = [];
      for (let i = 0; i < n; i++) paths.push(await authnRequestPath(host.sp));
      const key = benchKey();
      const baselineBefore = rawSignaturesPerSec(key, quick ? 500 : 2000);
      let done = 0;
      const t0 = performance.now();
      let i = 0;
      await pool(users, concurrency, async (u) => {
        const html = await signInOnce(new TestBrowser(host.url), paths[i++]!, u.state, u.username, u.password);
        if (html.includes('name="SAMLResponse"')) done++;
      });
      const seconds = (performance.now() - t0) / 1000;
      if (done !== n) throw new Error(`${done}/${n} sign-ins completed`);
      const baselineAfter = rawSignaturesPerSec(key, quick ? 500 : 2000);
      const baseline = Math.max(baselineBefore, baselineAfter);
      const value = done / seconds;
      const ratio = value / baseline;
      return {
        name: 'full-signin',
        ratioMeaning: 'completed sign-ins/s over HTTP (AuthnRequest → /login, slapd bind → TOTP → Response) ÷ raw RSA-2048 SHA-256 signatures/s in the bench process',
        ratio,
        value,
        unit: 'sign-ins/s',
        baseline,
        baselineUnit: 'signatures/s',
        target: 'at least 0.25',
        met: ratio >= 0.25,
        extra: { signIns: n, concurrency, baselineBefore, baselineAfter, directory: 'slapd' },
      };
    } finally {
      await host.close();
      await slapd.destroy();
    }
  },
};
