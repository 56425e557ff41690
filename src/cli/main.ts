/**
 * The `factorgate` command. Exit codes: 0 success, 1 failure at run time, 2 bad usage or bad
 * configuration (each problem on its own line, naming the file and the key).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../host/config/load.js';
import { FactorgateError } from '../kit/errors.js';
import { type CliContext, UsageError } from './cli-context.js';
import * as start from './commands/start.js';
import * as checkConfig from './commands/check-config.js';
import * as users from './commands/users.js';
import * as audit from './commands/audit.js';
import * as tokens from './commands/tokens.js';
import { endQuietlyOnClosedPipe } from './output.js';
import * as keys from './commands/keys.js';
import * as admin from './commands/admin.js';
import * as policy from './commands/policy.js';

interface Command {
  usage: string;
  run(ctx: CliContext): number | Promise<number>;
}

export const commands: Record<string, Command> = {
  start,
  'check-config': checkConfig,
  users,
  audit,
  tokens,
  keys,
  admin,
  policy,
};

function help(): string {
  return `usage: factorgate <command> [options]\n\ncommands:\n${Object.values(commands)
    .map((c) => `  ${c.usage}`)
    .join('\n')}\n`;
}

export async function main(argv: string[], io: Omit<CliContext, 'args'>): Promise<number> {
  const [name = 'start', ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`factorgate: unknown command "${name}"\n${help()}`);
    return 2;
  }
  try {
    return await command.run({ ...io, args });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) io.stderr.write(`${p}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      // The command's own usage lines, so `factorgate users` (no subcommand) shows what there is.
      io.stderr.write(`factorgate: ${err.message}\nusage:\n  ${command.usage}\n`);
      return 2;
    }
    if (err instanceof FactorgateError) {
      io.stderr.write(`factorgate: ${err.detail ?? err.code}\n`);
      return err.code === 'CONFIG_INVALID' || err.code === 'STORE_ERROR' ? 2 : 1;
    }
    io.stderr.write(`factorgate: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * Runs the command line of this process: `bin/factorgate.js` calls it unconditionally (however
 * it was reached: `npx`, a symlink in node_modules/.bin, an installed copy), and so does running
 * this file directly (`node dist/src/cli/main.js start`, `tsx src/cli/main.ts`).
 */
export async function runFromProcess(argv: string[] = process.argv.slice(2)): Promise<void> {
  endQuietlyOnClosedPipe(process.stdout, 'standard output');
  endQuietlyOnClosedPipe(process.stderr, 'standard error');
  process.exitCode = await main(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}

/** Whether this module is the program node was asked to run (paths compared after symlinks). */
function isProgramEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgramEntry()) await runFromProcess();
