import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/host/config/load.js';
import { makeTempDir } from '../support/host-harness.js';

/** Where the configuration goes, beside the (empty) users.yaml it names. */
function configFile(): string {
  const dir = makeTempDir();
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  return join(dir, 'factorgate.yaml');
}

function problemsOf(yaml: string): { file: string; problems: string[] } {
  const file = configFile();
  writeFileSync(file, `directory:\n  type: file\n  path: users.yaml\n${yaml}`);
  try {
    loadConfig({ configPath: file, adapters: [], env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return { file, problems: [...err.problems] };
    throw err;
  }
  return { file, problems: [] };
}

describe('regulation configuration', () => {
  it('has safe defaults', () => {
    const file = configFile();
    writeFileSync(file, 'directory:\n  type: file\n  path: users.yaml\n');
    expect(loadConfig({ configPath: file, adapters: [], env: {} }).host.regulation).toEqual({
      enabled: true,
      findTime: '5m',
      banTime: '5m',
      maxBanTime: '1h',
      refusalDelay: '1s',
      account: { maxFailures: 5 },
      client: { maxFailures: 20 },
      passwordChecks: { maxInFlight: 2, queueWait: '2s', perSecond: 20, burst: 40 },
    });
  });

  it('reports every problem with the file and the key', () => {
    const { file, problems } = problemsOf('regulation:\n  banTime: 2h\n  maxBanTime: 1h\n  findTime: soon\n  account:\n    maxFailures: 0\n  passwordChecks:\n    maxInFlight: 0\n    perSecond: 0\n    burst: 0.5\n');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${file}: regulation.findTime: expected a duration`),
        expect.stringContaining(`${file}: regulation.account.maxFailures: `),
        expect.stringContaining(`${file}: regulation.passwordChecks.maxInFlight: `),
        expect.stringContaining(`${file}: regulation.passwordChecks.perSecond: `),
        expect.stringContaining(`${file}: regulation.passwordChecks.burst: `),
      ]),
    );
    // The cross-key rule once each key is valid on its own (as Authelia words it).
    const second = problemsOf('regulation:\n  banTime: 2h\n  maxBanTime: 1h\n  passwordChecks:\n    queueWait: 5m\n');
    expect(second.problems).toEqual([`${second.file}: regulation.banTime: must be less than or equal to maxBanTime (1h)`, `${second.file}: regulation.passwordChecks.queueWait: must be at most 60s`]);
  });
});
