/** Configuration of the delivered-code methods: each needs its sender, and the demo has console ones. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/host/config/load.js';
import { makeTempDir } from '../support/host-harness.js';

function load(config: Record<string, unknown>) {
  const dir = makeTempDir('fg-delivered-config-');
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  writeFileSync(file, stringify({ directory: { type: 'file', path: 'users.yaml' }, ...config }));
  return () => loadConfig({ configPath: file, adapters: [], env: {} });
}

describe('factors.sms, factors.voice, factors.email', () => {
  it('names every method configured without its sender', () => {
    const run = load({ factors: { sms: {}, voice: {}, email: {} } });
    expect(run).toThrow(ConfigError);
    try {
      run();
    } catch (err) {
      const problems = (err as ConfigError).problems.map((p) => p.replace(/^.*?: /, ''));
      expect(problems).toEqual([
        'factors.sms: needs delivery.sms (a provider)',
        'factors.voice: needs delivery.voice (a provider)',
        'factors.email: needs delivery.smtp (or transport: console)',
      ]);
    }
  });

  it('refuses press-pound with the console provider (nothing would call back)', () => {
    expect(load({ factors: { voice: { mode: 'press-pound' } }, delivery: { voice: { type: 'console' } } })).toThrow(/factors\.voice\.mode: press-pound needs a provider that calls back/);
  });

  it('fills the policy defaults of the issue: 6 digits, 300 s, PIN off, read-code', () => {
    const { host } = load({ factors: { sms: {}, voice: {} }, delivery: { sms: { type: 'console' }, voice: { type: 'console' } } })();
    expect(host.factors.sms).toEqual({ codeDigits: 6, codeTtlSeconds: 300, resendAfterSeconds: 30, maxSendsPerChallenge: 3, maxSendsPerUserPerHour: 10, pin: 'off' });
    expect(host.factors.voice?.mode).toBe('read-code');
  });

  it('the embedded demo sends SMS, calls and mails to the log, codes revealed (demo only)', () => {
    const { host } = loadConfig({ adapters: [], env: {}, cwd: makeTempDir('fg-demo-') });
    expect(host.demo).toBe(true);
    expect(host.delivery?.sms).toEqual({ type: 'console', revealCodes: true });
    expect(host.delivery?.voice).toEqual({ type: 'console', revealCodes: true });
    expect(host.factors.email).toMatchObject({ transport: 'console', revealCodes: true });
    expect(host.factors.sms).toBeDefined();
  });
});
