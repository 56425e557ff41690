/**
 * A command typed without its subcommand (`factorgate users`) or with a wrong one answers with
 * the command's own usage lines and exit code 2, through the real executable: a newcomer learns
 * what there is instead of reading `unknown users command ""`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFactorgate } from '../support/factorgate-cli.js';
import { makeTempDir } from '../support/host-harness.js';

const dir = makeTempDir('fg-usage-');
// Without a configuration the demo store is used: keep it out of the working tree.
const env = { FACTORGATE_DATA: join(dir, 'data') };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage errors', () => {
  it.each([
    ['users', ['users hash-password', 'users list', 'users unlock USER', 'users import']],
    ['tokens', ['tokens import FILE', 'tokens list', 'tokens resync']],
    ['keys', ['keys status', 'keys rotate', 'keys retire']],
    ['audit', ['audit export --format csv|jsonl']],
    ['admin', ['admin token create --name NAME --role helpdesk|admin', 'admin token list', 'admin token revoke NAME']],
  ])('`factorgate %s` alone lists its subcommands (exit 2)', async (command, lines) => {
    const r = await runFactorgate([command], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`factorgate: unknown ${command} command ""\nusage:\n  ${command} `);
    for (const line of lines) expect(r.err).toContain(line);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('a misspelt subcommand gets the same usage', async () => {
    const r = await runFactorgate(['tokens', 'lst'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('factorgate: unknown tokens command "lst"\nusage:\n  tokens import');
  });

  it('an unknown option still names the option, then the usage', async () => {
    const r = await runFactorgate(['users', 'list', '--jsno'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^factorgate: Unknown option '--jsno'.*\nusage:\n {2}users hash-password/s);
  });
});
